/**
 * The one place bootstrap documents become text. Everything else builds typed objects; key
 * order is the order the builders write, so the same input always gives the same bytes.
 */
import * as yaml from 'js-yaml';
import type { CloudConfig } from './cloud-init-types';
import type { KubeadmDocument } from './kubeadm-types';

/** Plain YAML of one document: no anchors, no line folding (PEM and configs stay intact). */
export function toYaml(value: unknown): string {
  return yaml.dump(value, { noRefs: true, lineWidth: -1, sortKeys: false });
}

/** A multi-document stream. */
export function toYamlStream(documents: readonly unknown[]): string {
  return documents.map(toYaml).join('---\n');
}

/** The file `kubeadm init|join --config` reads. */
export function renderKubeadmConfig(documents: readonly KubeadmDocument[]): string {
  return toYamlStream(documents);
}

/** cloud-init user-data: the `#cloud-config` marker line, then the document. */
export function renderCloudConfig(config: CloudConfig): string {
  return `#cloud-config\n${toYaml(config)}`;
}
