import { Chart } from 'cdk8s';
import { Construct } from 'constructs';

export interface PlatformChartProps {
  /** Default namespace of the chart's objects. @default - none */
  readonly namespace?: string;
}

/**
 * Base of every chart: the chart id is its output folder (`20-berkeleytime`, sorted in apply
 * order) and object names are always given explicitly, so renaming a construct never
 * renames or recreates an object.
 */
export class PlatformChart extends Chart {
  constructor(scope: Construct, id: string, props: PlatformChartProps = {}) {
    super(scope, id, { namespace: props.namespace, disableResourceNameHashes: true });
  }
}
