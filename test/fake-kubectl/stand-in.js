/**
 * A recording stand-in for kubectl's API server side (test/kubectl-mode.test.ts serves it, test/fake-kubectl/kubectl
 * is the command a plan calls): appends every argv to $FAKE_KUBECTL_LOG and keeps a small API server's state in
 * $FAKE_KUBECTL_STATE, enough to fail where a real cluster would: a custom resource whose CRD is not yet Established
 * (CRDs become Established when the `kubectl apply` that created them returns, never during it), an object in a
 * Namespace that does not exist yet, a wait or rollout on an object that was never applied, `--prune` without an
 * ApplySet or without KUBECTL_APPLYSET=true, an ApplySet whose parent namespace does not exist. It records each
 * ApplySet parent's labels and annotations as kubectl writes them (KEP-3659) and each member's part-of label, and
 * prunes what a later apply of a set no longer lists.
 *
 * It runs inside the test's process, behind a loopback port, rather than as one Node process per command: a plan is
 * about a hundred commands, and starting Node and parsing the tree's YAML again for each was 10 s a plan.
 */
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const crypto = require('crypto');
const yaml = require('js-yaml');

const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'rbac.authorization.k8s.io',
  'networking.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'autoscaling',
]);
const CLUSTER_KINDS = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'PersistentVolume',
  'CSIDriver',
]);
const groupOf = (apiVersion) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const key = (group, kind, ns, name) => `${group}/${kind}/${ns}/${name}`;

/** A command's failure: kubectl prints `error: …` and exits 1. */
class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};

/** Parsed manifests by content digest: the same tree, or a copy of it, is applied several times. */
const parsed = new Map();
function documents(file) {
  const text = fs.readFileSync(file, 'utf8');
  const digest = crypto.createHash('sha256').update(text).digest('hex');
  if (!parsed.has(digest)) parsed.set(digest, yaml.loadAll(text).filter(Boolean));
  return parsed.get(digest);
}

/** One kubectl command: its argv, the folder it ran in and its environment; returns its exit code and stderr. */
function kubectl({ argv, cwd, env }) {
  const logFile = env.FAKE_KUBECTL_LOG;
  const stateFile = env.FAKE_KUBECTL_STATE;
  fs.appendFileSync(logFile, `${JSON.stringify({ argv, applyset: env.KUBECTL_APPLYSET ?? null })}\n`);
  const state = fs.existsSync(stateFile)
    ? JSON.parse(fs.readFileSync(stateFile, 'utf8'))
    : { crds: [], namespaces: ['default', 'kube-system', 'kube-public'], objects: {}, parents: {}, pruned: [] };

  function flag(name) {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
  }
  const has = (name) => argv.includes(name);

  function files(p) {
    if (!fs.existsSync(p)) fail(`the path "${p}" does not exist`);
    if (fs.statSync(p).isFile()) return [p];
    return fs
      .readdirSync(p)
      .sort()
      .flatMap((e) => {
        const full = path.join(p, e);
        if (fs.statSync(full).isDirectory()) return has('-R') ? files(full) : [];
        return /\.(ya?ml|json)$/.test(e) ? [full] : [];
      });
  }

  function isClusterScoped(group, kind) {
    if (BUILTIN_GROUPS.has(group)) return CLUSTER_KINDS.has(kind);
    const crd = state.crds.find((c) => c.group === group && c.kind === kind);
    return crd ? crd.scope === 'Cluster' : false;
  }

  function apply() {
    if (!has('--server-side')) fail('this stand-in only takes server-side applies');
    const prune = has('--prune');
    const applyset = flag('--applyset');
    const ns = flag('-n') ?? flag('--namespace');
    if (prune && !applyset) fail('--prune with --server-side needs --applyset');
    if (applyset && env.KUBECTL_APPLYSET !== 'true') fail('--applyset is alpha: set KUBECTL_APPLYSET=true');
    if (applyset && !state.namespaces.includes(ns)) fail(`namespaces "${ns}" not found (the ApplySet parent's namespace)`);
    const objects = files(path.resolve(cwd, flag('-f'))).flatMap(documents);
    const newCrds = [];
    const newNamespaces = [];
    const members = [];
    for (const o of objects) {
      const group = groupOf(o.apiVersion);
      if (!BUILTIN_GROUPS.has(group) && !state.crds.some((c) => c.group === group && c.kind === o.kind && c.established)) {
        fail(`resource mapping not found for name: "${o.metadata.name}" kind: "${o.kind}" in version "${o.apiVersion}": ensure CRDs are installed first`);
      }
      const clusterScoped = isClusterScoped(group, o.kind);
      const objectNs = clusterScoped ? '' : (o.metadata.namespace ?? ns ?? 'default');
      if (!clusterScoped && !state.namespaces.includes(objectNs)) fail(`namespaces "${objectNs}" not found (${o.kind} ${o.metadata.name})`);
      if (o.kind === 'CustomResourceDefinition')
        newCrds.push({ group: o.spec.group, kind: o.spec.names.kind, scope: o.spec.scope, name: o.metadata.name, established: false });
      if (o.kind === 'Namespace' && group === '') newNamespaces.push(o.metadata.name);
      const k = key(group, o.kind, objectNs, o.metadata.name);
      // A Job's pod template cannot change once the Job exists: the API server refuses the apply.
      const template = o.kind === 'Job' ? JSON.stringify(o.spec?.template ?? null) : undefined;
      if (template !== undefined && state.objects[k] && state.objects[k].template !== template)
        fail(`Job.batch "${o.metadata.name}" is invalid: spec.template: Invalid value: field is immutable`);
      members.push({ key: k, group, kind: o.kind, namespace: objectNs });
      state.objects[k] = { kind: o.kind, applyset: null, ...(template !== undefined ? { template } : {}) };
    }
    if (applyset) {
      const [resource, name] = applyset.split('/');
      if (resource !== 'configmaps' && resource !== 'secrets') fail(`ApplySet parent ${applyset}: only configmaps/ or secrets/ here`);
      const kind = resource === 'configmaps' ? 'ConfigMap' : 'Secret';
      const id = `applyset-${crypto.createHash('sha256').update([name, ns, kind, ''].join('.')).digest('base64url')}-v1`;
      const parentKey = `${ns}/${applyset}`;
      const previous = state.parents[parentKey];
      const namespaces = [...new Set(members.map((m) => m.namespace).filter((n) => n && n !== ns))].sort();
      const groupKinds = [...new Set(members.map((m) => `${m.kind}.${m.group}`))].sort();
      state.parents[parentKey] = {
        labels: { 'applyset.kubernetes.io/id': id },
        annotations: {
          'applyset.kubernetes.io/tooling': 'kubectl/v1.36.0',
          'applyset.kubernetes.io/contains-group-kinds': groupKinds.join(','),
          ...(namespaces.length ? { 'applyset.kubernetes.io/additional-namespaces': namespaces.join(',') } : {}),
        },
        members: members.map((m) => m.key),
      };
      for (const m of members) state.objects[m.key].applyset = id;
      if (prune && previous) {
        for (const gone of previous.members.filter((m) => !members.some((x) => x.key === m))) {
          delete state.objects[gone];
          state.pruned.push(gone);
        }
      }
    }
    // The API server establishes a CRD only after it was created: visible to the next command, not this one.
    for (const c of newCrds) state.crds = [...state.crds.filter((x) => x.name !== c.name), { ...c, established: true }];
    state.namespaces.push(...newNamespaces.filter((n) => !state.namespaces.includes(n)));
  }

  /** `wait --for=… res/name …` and `rollout status res/name`: the objects must exist (their health is not simulated). */
  function waitFor(names, ns) {
    for (const ref of names) {
      const [resource, name] = ref.split('/');
      const found = Object.keys(state.objects).some((k) => {
        const [, kind, objectNs, objectName] = k.split('/');
        const plural = resource.split('.')[0];
        return objectName === name && kind.toLowerCase() === plural && (objectNs === (ns ?? '') || objectNs === '' || ns === undefined);
      });
      if (!found) fail(`${ref} not found${ns ? ` in ${ns}` : ''}: the plan waits on an object it did not apply`);
    }
  }

  try {
    const verb = argv.find((a) => !a.startsWith('-') && argv[argv.indexOf(a) - 1] !== '-n');
    if (verb === 'apply') apply();
    else if (verb === 'wait') {
      const condition = flag('--for');
      if (!condition) fail('wait needs --for');
      waitFor(
        argv.filter((a) => /^[a-z.]+\/[^/]+$/.test(a) && !a.startsWith('-')),
        flag('-n'),
      );
    } else if (verb === 'delete') {
      // `delete job <name> [-n ns] --ignore-not-found`: only what the plan deletes (Helm hook Jobs before their re-run).
      const [resource, name] = argv.filter((a) => !a.startsWith('-') && a !== 'delete' && a !== flag('-n'));
      if (resource !== 'job' || !name) fail(`this stand-in deletes only jobs by name, not ${argv.join(' ')}`);
      const k = key('batch', 'Job', flag('-n') ?? 'default', name);
      if (!state.objects[k] && !has('--ignore-not-found')) fail(`jobs.batch "${name}" not found`);
      if (state.objects[k]) (state.deleted ??= []).push(k);
      delete state.objects[k];
    } else if (verb === 'rollout') {
      waitFor(
        argv.filter((a) => /^[a-z.]+\/[^/]+$/.test(a)),
        flag('-n'),
      );
    } else fail(`this stand-in does not know "${verb}"`);

    return { code: 0, stderr: '' };
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    return { code: 1, stderr: `error: ${err.message}\n` };
  } finally {
    fs.writeFileSync(stateFile, JSON.stringify(state));
  }
}

/**
 * Serves the stand-in on a loopback port for test/fake-kubectl/kubectl, which sends its folder, the three variables
 * and its argv NUL-separated (`cwd log state applyset-set applyset argc argv…`) and gets back `code\nstderr`.
 */
function serve() {
  const server = net.createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const fields = received.toString('utf8').split('\0');
      if (fields.length < 7) return;
      const [cwd, log, stateFile, applysetSet, applyset, argc] = fields;
      if (fields.length < 7 + Number(argc)) return;
      const env = { FAKE_KUBECTL_LOG: log, FAKE_KUBECTL_STATE: stateFile, ...(applysetSet ? { KUBECTL_APPLYSET: applyset } : {}) };
      let answer;
      try {
        answer = kubectl({ argv: fields.slice(6, 6 + Number(argc)), cwd, env });
      } catch (err) {
        answer = { code: 3, stderr: `the stand-in failed: ${err.stack}\n` };
      }
      socket.end(`${answer.code}\n${answer.stderr}`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => new Promise((done) => server.close(() => done())) }));
  });
}

module.exports = { kubectl, serve };
