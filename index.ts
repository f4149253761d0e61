/**
 * The package entry: the platform's constructs with their props, the connection types that wire
 * them (cdk8s-plus style: tiers take each other by reference), the Argo CD order, the composition
 * root and the validator. `npm run build` compiles it with type declarations into build/.
 */
// Tiers and their parts.
export * from './charts/app-stack';
export * from './charts/data-tier';
export * from './charts/postgres';
export * from './charts/postgres-backup';
export * from './charts/postgres-restore-drill';
export * from './charts/postgres-operator';
export * from './charts/postgres-cluster';
export * from './charts/postgres-cluster-drill';
export * from './charts/postgres-object-store';
export * from './charts/redis';
export * from './charts/edge-tier';
export * from './charts/logging-tier';
export * from './charts/monitoring-stack';
export * from './charts/gitlab';
export * from './charts/rook-storage';
export * from './charts/namespaces';
export * from './charts/gitops';
export * from './charts/app-projects';
export * from './charts/addon-application';
export * from './charts/registry-policy';
export * from './bootstrap/cluster-bootstrap';
export { generateBootstrapSecrets, loadBootstrapSecrets, loadOrCreateBootstrapSecrets, type BootstrapSecrets } from './bootstrap/secrets';
export { fingerprintOf, type ClusterFingerprint } from './bootstrap/fingerprint';
export type * from './lib/cluster-spec';
// What connects them, and the shared vocabulary.
export * from './lib/contracts';
export { clusterAddresses, type ClusterAddresses, type ClusterAddressInput } from './lib/cluster-peers';
export * from './lib/argocd';
export { PlatformChart, type PlatformChartProps } from './lib/platform-chart';
export { drainWarnings, requiredSecretsOf, warningsOf, type Warning } from './lib/warnings';
export { allowImages, imageAllowlistsOf, imageRepository, type NamespaceImages } from './lib/image-allowlist';
// The composition root (config file → dist/) and the consumer-side checks.
export { buildPlatform, type PlatformBuild } from './app/platform';
export { synthesize, type SynthOptions, type SynthResult } from './app/synth';
export { validateTree, type Finding } from './lib/validate/index';
export { assemble } from './lib/validate/assemble';
