/**
 * Just enough OpenPGP (RFC 4880) to check an armored public key before it is embedded in
 * user-data: the primary key's v4 fingerprint, and when the newest self-signature says it
 * expires. apt refuses a repository whose signing key has expired (EXPKEYSIG), so an embedded
 * key that upstream later extends must be refreshed here like any other pin.
 */
import * as crypto from 'crypto';

export interface PublicKeyFacts {
  /** 40 uppercase hex digits. */
  readonly fingerprint: string;
  readonly created: Date;
  /** Undefined when the key does not expire. */
  readonly expires?: Date;
}

function dearmor(armored: string): Buffer {
  const lines = armored.replace(/\r/g, '').split('\n');
  const begin = lines.findIndex((l) => l.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----'));
  const end = lines.findIndex((l) => l.startsWith('-----END PGP PUBLIC KEY BLOCK-----'));
  if (begin < 0 || end < begin) throw new Error('expected an ASCII-armored OpenPGP public key block');
  const blank = lines.indexOf('', begin);
  const body = lines.slice(blank + 1, end).filter((l) => !l.startsWith('='));
  return Buffer.from(body.join(''), 'base64');
}

interface Packet {
  readonly tag: number;
  readonly body: Buffer;
}

function packets(data: Buffer): Packet[] {
  const out: Packet[] = [];
  let i = 0;
  while (i < data.length) {
    const header = data[i++];
    if ((header & 0x80) === 0) throw new Error('malformed OpenPGP packet header');
    let tag: number;
    let length: number;
    if (header & 0x40) {
      tag = header & 0x3f;
      const first = data[i++];
      if (first < 192) length = first;
      else if (first < 224) length = ((first - 192) << 8) + data[i++] + 192;
      else if (first === 255) {
        length = data.readUInt32BE(i);
        i += 4;
      } else throw new Error('partial-length OpenPGP packets are not used in key blocks');
    } else {
      tag = (header >> 2) & 0x0f;
      const size = [1, 2, 4][header & 0x03];
      if (size === undefined) throw new Error('indeterminate-length OpenPGP packets are not used in key blocks');
      length = size === 1 ? data[i] : size === 2 ? data.readUInt16BE(i) : data.readUInt32BE(i);
      i += size;
    }
    out.push({ tag, body: data.subarray(i, i + length) });
    i += length;
  }
  return out;
}

/** Hashed subpackets of a v4 signature, by type (the last of each type wins). */
function hashedSubpackets(sig: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  if (sig[0] !== 4) return out;
  const length = sig.readUInt16BE(4);
  const area = sig.subarray(6, 6 + length);
  let i = 0;
  while (i < area.length) {
    let size = area[i++];
    if (size >= 192 && size < 255) size = ((size - 192) << 8) + area[i++] + 192;
    else if (size === 255) {
      size = area.readUInt32BE(i);
      i += 4;
    }
    out.set(area[i] & 0x7f, area.subarray(i + 1, i + size));
    i += size;
  }
  return out;
}

export function publicKeyFacts(armored: string): PublicKeyFacts {
  const all = packets(dearmor(armored));
  const primary = all[0];
  if (primary?.tag !== 6 || primary.body[0] !== 4) throw new Error('expected a version 4 primary public key first');
  const prefix = Buffer.from([0x99, primary.body.length >> 8, primary.body.length & 0xff]);
  const fingerprint = crypto.createHash('sha1').update(prefix).update(primary.body).digest('hex').toUpperCase();
  const createdSeconds = primary.body.readUInt32BE(1);
  // Self-signatures on the user IDs (types 0x10–0x13) before the first subkey; the newest one rules.
  let newest: { created: number; expiresAfter?: number } | undefined;
  for (const p of all.slice(1)) {
    if (p.tag === 14) break;
    if (p.tag !== 2 || p.body[0] !== 4 || p.body[1] < 0x10 || p.body[1] > 0x13) continue;
    const sub = hashedSubpackets(p.body);
    const issuer = sub.get(33)?.subarray(1).toString('hex').toUpperCase();
    if (issuer !== undefined && issuer !== fingerprint) continue;
    const created = sub.get(2)?.readUInt32BE(0) ?? 0;
    if (!newest || created >= newest.created) newest = { created, expiresAfter: sub.get(9)?.readUInt32BE(0) };
  }
  const after = newest?.expiresAfter;
  return {
    fingerprint,
    created: new Date(createdSeconds * 1000),
    ...(after ? { expires: new Date((createdSeconds + after) * 1000) } : {}),
  };
}
