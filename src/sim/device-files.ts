import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../core/index.js';

/**
 * A device's credentials on disk, under the names the reference device reads
 * them by (lambda-refarch-iotbackend, environment/settings.py: `certs/`).
 */
export const DEVICE_CERTIFICATE_FILE = 'certificate.pem.crt';
export const DEVICE_PRIVATE_KEY_FILE = 'private.pem.key';
export const ROOT_CA_FILE = 'root-ca.pem';
export const DEVICE_FILES = [DEVICE_CERTIFICATE_FILE, DEVICE_PRIVATE_KEY_FILE, ROOT_CA_FILE] as const;

export interface DeviceCredentials {
  certificatePem: string;
  privateKeyPem: string;
  rootCaPem: string;
}

/**
 * Writes the three files into `dir` (made if missing), each atomically; the
 * private key readable by its owner only (0600). Returns their paths.
 */
export async function writeDeviceCredentials(dir: string, credentials: DeviceCredentials): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Array<[string, string, number]> = [
    [DEVICE_CERTIFICATE_FILE, credentials.certificatePem, 0o644],
    [DEVICE_PRIVATE_KEY_FILE, credentials.privateKeyPem, 0o600],
    [ROOT_CA_FILE, credentials.rootCaPem, 0o644],
  ];
  const written: string[] = [];
  for (const [name, content, mode] of files) {
    const file = join(dir, name);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, content.endsWith('\n') ? content : `${content}\n`, { mode });
    // The umask may have taken bits away; the private key must be 0600 whatever it is.
    await chmod(temp, mode);
    await rename(temp, file);
    written.push(file);
  }
  return written;
}

/** Reads the three files back; a missing one is an error that says what writes it. */
export async function readDeviceCredentials(dir: string): Promise<DeviceCredentials> {
  const read = async (name: string): Promise<string> => {
    const file = join(dir, name);
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `cannot read ${file} (${code}): a certificate directory holds ${DEVICE_FILES.join(', ')}, as "sluice certs create --out DIR" writes them`, {
        place: { file },
        cause: error,
      });
    }
  };
  const [certificatePem, privateKeyPem, rootCaPem] = await Promise.all(DEVICE_FILES.map(read));
  return { certificatePem: certificatePem as string, privateKeyPem: privateKeyPem as string, rootCaPem: rootCaPem as string };
}
