/**
 * The Sealed Secrets controller (bitnami-labs' chart and image; the Bitnami catalog change does
 * not touch them, bitnami/sealed-secrets#1785): it decrypts the SealedSecrets in git into Secrets,
 * with the key pair the first control plane installed at boot. In the operators wave, so every
 * SealedSecret of a later wave is decrypted before the workloads that read its Secret start.
 *
 * Key renewal is off (`keyrenewperiod: 0`): the controller would otherwise add a new key every
 * 30 days and seal new values with it, while the certificate committed in git (which everyone
 * seals with, offline) stays the old one. Old keys keep decrypting either way; rotating is a
 * deliberate `npm run secrets -- --rotate-sealing-key` and a re-seal (docs/secrets.md).
 */
import { Construct } from 'constructs';
import { WAVE } from '../lib/argocd';
import { ChartPin } from '../lib/contracts';
import { allowToApiServer, ClusterAddresses } from '../lib/cluster-peers';
import { LABEL } from '../lib/labels';
import { allPods, defaultDeny } from '../lib/network-policy';
import { pinnedChart } from '../lib/pins';
import { PlatformChart } from '../lib/platform-chart';
import { SEALED_SECRETS_CONTROLLER, SEALED_SECRETS_NAMESPACE } from '../lib/sealed-secrets';
import { AddonApplication } from './addon-application';
import { Namespaces } from './namespaces';

export interface SealedSecretsControllerProps {
  readonly namespaces: Namespaces;
  /** @default - the pin `sealed-secrets` of config/versions.yaml */
  readonly chart?: ChartPin;
  /** The cluster's host addresses, for the API server allow. @default - the API server's port on any address */
  readonly clusterAddresses?: ClusterAddresses;
}

export class SealedSecretsController extends PlatformChart {
  public readonly application: AddonApplication;
  public readonly namespace = SEALED_SECRETS_NAMESPACE;

  constructor(scope: Construct, id: string, props: SealedSecretsControllerProps) {
    super(scope, id);
    // It holds the sealing keys: never pruned or deleted with the tree.
    props.namespaces.add(SEALED_SECRETS_NAMESPACE, { protect: true, labels: { [LABEL.partOf]: 'sealed-secrets' } });
    this.application = new AddonApplication(this, 'Controller', {
      name: 'sealed-secrets',
      chart: props.chart ?? pinnedChart('sealed-secrets'),
      namespace: SEALED_SECRETS_NAMESPACE,
      syncWave: WAVE.operators,
      values: {
        // The Service name kubeseal looks for by default.
        fullnameOverride: SEALED_SECRETS_CONTROLLER,
        keyrenewperiod: '0',
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        // Pod Security restricted: the chart's defaults lack the seccomp profile and privilege-escalation flag.
        podSecurityContext: { enabled: true, fsGroup: 65534, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containerSecurityContext: {
          enabled: true,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 1001,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        },
        // Ours below; the chart's finds the API server's address with `lookup`, which is empty under Argo CD.
        networkPolicy: { enabled: false },
      },
    });

    // Nothing calls the controller (values are sealed offline with the committed certificate);
    // it only talks to the API server, which runs on the control-plane hosts' network. The
    // namespace holds nothing else, so the policy selects every pod in it.
    defaultDeny(this, SEALED_SECRETS_NAMESPACE);
    allowToApiServer(this, allPods(SEALED_SECRETS_NAMESPACE, 'controller'), props.clusterAddresses);
  }
}
