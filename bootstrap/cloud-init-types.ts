/**
 * The subset of the cloud-init `#cloud-config` schema this project writes. Commands are argv
 * lists only: the type has no room for a shell string.
 *
 * @see https://cloudinit.readthedocs.io/en/latest/reference/modules.html
 */

/** A command run without a shell: program, then arguments. */
export type Argv = readonly [string, ...string[]];

/** One file of the `write_files` module. */
export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly owner: string;
  /** Octal string, e.g. `'0600'`. */
  readonly permissions: string;
}

/** An apt source of the `apt` module; `$KEY_FILE` in `source` scopes the key to this repository. */
export interface AptSource {
  readonly source: string;
  /** The repository's ASCII-armored signing key, embedded (apt-keys.ts): nothing is fetched from a keyserver. */
  readonly key: string;
}

export interface CloudConfig {
  readonly hostname: string;
  readonly manage_etc_hosts: boolean;
  readonly apt: { readonly sources: Readonly<Record<string, AptSource>> };
  readonly package_update: boolean;
  readonly package_upgrade: boolean;
  /** A name, or `[name, exact version]`. */
  readonly packages: readonly (string | readonly [string, string])[];
  readonly write_files: readonly WriteFile[];
  readonly runcmd: readonly Argv[];
}
