// Where a BGPPeer's password comes from when it is not written in the resource: Calico's
// `password.secretKeyRef` names a Kubernetes Secret and one of its keys. On the etcd and SQLite
// datastores there is no Secret object, so the reference is read the way kubelet lays a Secret
// volume out: one directory per Secret, one file per key, under SECRETS_DIRECTORY
// (`/etc/podnet/secrets/<name>/<key>`, or PODNET_SECRETS_DIR), readable by root alone.

import { join } from "node:path";
import { readPasswordFile } from "../shared/password-file";

export interface SecretKeyRef {
  name: string;
  key: string;
}

const SECRETS_DIRECTORY = "/etc/podnet/secrets";

/** A Secret's name (a DNS subdomain) and a key (what a Secret allows): no path can be smuggled in. */
export function secretKeyRefProblem(ref: SecretKeyRef): string | undefined {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(ref.name) || ref.name.length > 253) return `secretKeyRef.name ${JSON.stringify(ref.name)} is not a Secret name (lower-case DNS subdomain)`;
  if (!/^[-._a-zA-Z0-9]+$/.test(ref.key) || ref.key === "." || ref.key === ".." || ref.key.length > 253) return `secretKeyRef.key ${JSON.stringify(ref.key)} is not a Secret key ([-._a-zA-Z0-9]+)`;
  return undefined;
}

/** The file holding `ref` on a datastore without Secrets. */
export function secretFile(ref: SecretKeyRef, directory = process.env.PODNET_SECRETS_DIR || SECRETS_DIRECTORY): string {
  return join(directory, ref.name, ref.key);
}

/** A BGPPeer's TCP MD5 password: written in the resource, or its secretKeyRef read from the secrets directory. */
export function bgpPeerPassword(peer: { spec: { password?: string | { secretKeyRef: SecretKeyRef } } }, directory?: string): string | undefined {
  const password = peer.spec.password;
  if (password === undefined || typeof password === "string") return password;
  return readPasswordFile(secretFile(password.secretKeyRef, directory));
}
