/**
 * Files named in the config (`body_file`, `ca_file`, `cert_file`, `key_file`), read at load time
 * and checked to hold what the field needs, so a missing or wrong file fails the load (or the
 * reload, which keeps the old config) instead of every probe. Relative names resolve from the
 * config file's directory.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, describeError, joinPath, quoteValue } from '../../common/index.js';

/** Where relative file names in the config are resolved from. */
export interface LoadContext {
  readonly baseDir: string;
}

/** Reads a file named in the config. @throws ConfigError naming `path` when it cannot be read. */
export function readNamedFile(ctx: LoadContext, name: string, path: string): string {
  try {
    return readFileSync(resolve(ctx.baseDir, name), 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ConfigError(path, `cannot read ${quoteValue(name)} (${typeof code === 'string' ? code : describeError(error)}); relative names are resolved from the config file's directory`);
  }
}

/** {@link readNamedFile} when a name is given. */
export function readOptionalFile(ctx: LoadContext, name: string | undefined, path: string): string | undefined {
  return name === undefined ? undefined : readNamedFile(ctx, name, path);
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Reads a PEM bundle of certificates (`ca_file`, `cert_file`): at least one, each parseable.
 * @throws ConfigError naming `path`.
 */
export function readCertificates(ctx: LoadContext, name: string | undefined, path: string): string | undefined {
  const pem = readOptionalFile(ctx, name, path);
  if (pem === undefined) return undefined;
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new ConfigError(path, `${quoteValue(name)} holds no PEM certificate; use a file of -----BEGIN CERTIFICATE----- blocks`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(path, `${quoteValue(name)}: certificate ${i + 1} does not parse (${describeError(error)})`);
    }
  });
  return pem;
}

/**
 * Reads `cert_file` and `key_file` of a `tls_config` (both or neither, checked before): a PEM
 * certificate and the PEM private key that belongs to it. The key is never shown.
 * @throws ConfigError naming the field.
 */
export function readKeyPair(ctx: LoadContext, certName: string | undefined, keyName: string | undefined, path: string): { cert: string | undefined; key: string | undefined } {
  const cert = readCertificates(ctx, certName, joinPath(path, 'cert_file'));
  const key = readOptionalFile(ctx, keyName, joinPath(path, 'key_file'));
  if (cert === undefined || key === undefined) return { cert, key };
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch {
    throw new ConfigError(joinPath(path, 'key_file'), `${quoteValue(keyName)} holds no PEM private key; use a file with a -----BEGIN PRIVATE KEY----- block`);
  }
  if (!new X509Certificate(cert).checkPrivateKey(keyObject)) {
    throw new ConfigError(joinPath(path, 'key_file'), `${quoteValue(keyName)} is not the key of cert_file ${quoteValue(certName)}`);
  }
  return { cert, key };
}
