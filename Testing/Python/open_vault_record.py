#!/usr/bin/python3
"""Independent reader of a record in an Annotrace vault (Docs/Vault.md, Docs/RecordFormat.md).

Shares no code with the C++ side: from the vault folder, a member id and that member's
passphrase it opens the member's sealed X25519 key (scrypt + AES-256-GCM), unwraps every epoch of the
project key from the member's stanzas (X25519 + HKDF-SHA-256 + AES-256-GCM), takes the author's Ed25519
key from membership.json, verifies and decrypts the record with verify_record.py, decodes the
segmentation payload (segment table + LEB128 runs) and writes the labels as a NIfTI file with
nibabel (each segment with its label value; overlapping voxels take the later segment).

    open_vault_record.py VAULT RECORD_ID --member ID --passphrase-file F --out LABELS.nii.gz
                         [--reference REF.nii.gz]

With --reference, the written labels are compared voxel by voxel with REF's and the script
fails when they differ. Prints "OK <id> segments=<n> voxels=<labelled voxels>".
"""

import argparse
import base64
import hashlib
import json
import os
import struct
import sys

import numpy as np
import nibabel as nib
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_record  # noqa: E402

SEAL_AAD = b"annotrace-sealed-secret-v1"
STANZA_INFO = b"annotrace-vault-v1"
PAYLOAD_MAGIC = b"ATSEG\x00\x01\n"


def b64(text):
    return base64.b64decode(text, validate=True)


def unseal(sealed, passphrase):
    assert sealed["kdf"] == "scrypt" and sealed["alg"] == "A256GCM"
    key = hashlib.scrypt(passphrase.encode(), salt=b64(sealed["salt"]), n=sealed["n"],
                         r=sealed["r"], p=sealed["p"], maxmem=2**31 - 1, dklen=32)
    return AESGCM(key).decrypt(b64(sealed["nonce"]), b64(sealed["ciphertext"]), SEAL_AAD)


def project_keys(vault, member, passphrase):
    """Every epoch's project key, newest first."""
    with open(os.path.join(vault, "members", member + ".json")) as f:
        member_file = json.load(f)
    x25519 = X25519PrivateKey.from_private_bytes(unseal(member_file["x25519_sealed"], passphrase))
    with open(os.path.join(vault, "keys", member + ".json")) as f:
        stanzas = json.load(f)["stanzas"]
    keys = []
    for entry in sorted(stanzas, key=lambda e: -e["epoch"]):
        stanza = entry["stanza"]
        ephemeral, recipient = b64(stanza["ephemeral"]), b64(stanza["recipient"])
        shared = x25519.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        wrapping = HKDF(algorithm=SHA256(), length=32, salt=ephemeral + recipient,
                        info=STANZA_INFO).derive(shared)
        keys.append(AESGCM(wrapping).decrypt(b64(stanza["nonce"]), b64(stanza["wrapped"]),
                                             STANZA_INFO))
    return keys


def varints(data):
    value, shift = 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            yield value
            value, shift = 0, 0
    if shift:
        raise ValueError("a run block ends inside a number")


def decode_payload(plaintext):
    if plaintext[:8] != PAYLOAD_MAGIC:
        raise ValueError("not a segmentation payload")
    (n,) = struct.unpack_from("<I", plaintext, 8)
    table = json.loads(plaintext[12 : 12 + n])
    size = table["geometry"]["size"]
    total = size[0] * size[1] * size[2]
    labels = np.zeros(total, dtype=np.int16)  # linear index (k * ny + j) * nx + i
    at = 12 + n
    for segment in table["segments"]:
        numbers = list(varints(plaintext[at : at + segment["run_bytes"]]))
        at += segment["run_bytes"]
        position, count = 0, 0
        for gap, length in zip(numbers[0::2], numbers[1::2]):
            start = position + gap
            labels[start : start + length] = segment["label_value"]
            position, count = start + length, count + length
        if count != segment["voxel_count"]:
            raise ValueError(f"segment {segment['name']}: {count} voxels, table says "
                             f"{segment['voxel_count']}")
    if at != len(plaintext):
        raise ValueError("bytes after the last segment")
    return table, labels.reshape(size[2], size[1], size[0]).transpose(2, 1, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault")
    parser.add_argument("record_id")
    parser.add_argument("--member", required=True)
    parser.add_argument("--passphrase-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reference")
    args = parser.parse_args()
    with open(args.passphrase_file) as f:
        passphrase = f.readline().rstrip("\r\n")
    keys = project_keys(args.vault, args.member, passphrase)
    record = os.path.join(args.vault, "records", args.record_id + ".atrec")
    with open(record, "rb") as f:
        data = f.read()
    header = verify_record.block(data, 8, "header")[1]
    with open(os.path.join(args.vault, "membership.json")) as f:
        members = {m["id"]: m for m in json.load(f)["members"]}
    author_key = b64(members[header["author"]]["ed25519"])
    try:
        for i, key in enumerate(keys):  # records name no key epoch: newest first
            try:
                record_id, header, plaintext = verify_record.verify(data, author_key, key,
                                                                    args.record_id)
                break
            except verify_record.Refused:
                if i + 1 == len(keys):
                    raise
        table, labels = decode_payload(plaintext)
    except (verify_record.Refused, ValueError, KeyError) as error:
        print(f"FAIL: {record}: {error}", file=sys.stderr)
        return 1
    nib.save(nib.Nifti1Image(labels, np.eye(4)), args.out)
    if args.reference:
        reference = np.asanyarray(nib.load(args.reference).dataobj).astype(np.int32)
        if reference.shape != labels.shape or not np.array_equal(reference, labels):
            differ = int(np.count_nonzero(reference != labels)) \
                if reference.shape == labels.shape else -1
            print(f"FAIL: labels differ from {args.reference} in {differ} voxels", file=sys.stderr)
            return 1
    print(f"OK {record_id} segments={len(table['segments'])} "
          f"voxels={int(np.count_nonzero(labels))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
