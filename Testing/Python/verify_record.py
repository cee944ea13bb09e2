#!/usr/bin/python3
"""Independent verifier of Annotrace label records (Docs/RecordFormat.md).

Written from the format description with python3-cryptography, sharing no code with the C++
reader: parses the file, verifies the Ed25519 signature with the given public key, unwraps the
record key with the given project key, decrypts every chunk with its STREAM nonce and the meta
digest as AAD, decompresses, checks every digest and writes the plaintext.

    verify_record.py RECORD --public-key HEX|@FILE --project-key HEX|@FILE [--out FILE]
                     [--expected-id ID]

Exit status 0 and "OK <id> ..." on stdout when the record is sound; 1 and "FAIL: <reason>" on
stderr otherwise.
"""

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
import zlib

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ATREC\x00\x01\n"
KEY_WRAP_LABEL = b"annotrace-record-key-v1"
TAG = 16


class Refused(Exception):
    pass


def canonical(value):
    # Same bytes as nlohmann::json::dump(): sorted keys, no whitespace, UTF-8 unescaped.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_arg(text, size, what):
    if text.startswith("@"):
        with open(text[1:], encoding="ascii") as f:
            text = f.read().strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise Refused(f"the {what} is not hex")
    if len(raw) != size:
        raise Refused(f"the {what} must be {size} bytes, not {len(raw)}")
    return raw


def b64(text, size, what):
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError):
        raise Refused(f"{what} is not base64")
    if size is not None and len(raw) != size:
        raise Refused(f"{what} is {len(raw)} bytes, expected {size}")
    return raw


def block(data, at, what):
    if len(data) - at < 4:
        raise Refused(f"the file ends inside the length of the {what}")
    (length,) = struct.unpack_from("<I", data, at)
    if len(data) - at - 4 < length:
        raise Refused(f"the {what} length ({length}) runs past the end of the file")
    raw = data[at + 4 : at + 4 + length]
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Refused(f"the {what} is not valid JSON: {error}")
    if not isinstance(value, dict):
        raise Refused(f"the {what} is not a JSON object")
    if canonical(value) != raw:
        raise Refused(f"the {what} is not in canonical JSON form")
    return raw, value, at + 4 + length


def verify(data, public_key, project_key, expected_id=None):
    if data[:6] != MAGIC[:6] or len(data) < 8 or data[7:8] != b"\n":
        raise Refused("not an Annotrace record (bad magic)")
    if data[6] != 1:
        raise Refused(f"unsupported format version {data[6]}")
    header_raw, header, at = block(data, 8, "header")
    _, signature, chunks_at = block(data, at, "signature block")

    # Signature: Ed25519 over the SHA-256 of the header bytes as stored.
    header_digest = hashlib.sha256(header_raw).digest()
    if signature.get("alg") != "Ed25519":
        raise Refused("signature algorithm is not Ed25519")
    key_id = hashlib.sha256(public_key).digest()[:16].hex()
    if signature.get("key_id") != key_id:
        raise Refused(f"signed by key {signature.get('key_id')}, not the expected key {key_id}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            b64(signature.get("signature"), 64, "signature"), header_digest)
    except InvalidSignature:
        raise Refused("the signature does not match the header")
    record_id = header_digest.hex()
    if expected_id is not None and expected_id != record_id:
        raise Refused(f"this is record {record_id}, not {expected_id}")

    if header.get("format") != "annotrace-record" or header.get("version") != 1:
        raise Refused("header format/version not annotrace-record 1")
    if header.get("compression") != "zlib":
        raise Refused("unsupported compression")
    payload = header["payload"]
    chunk_size = header["chunk_size"]
    n = payload["chunks"]
    ciphertext = data[chunks_at:]
    if len(ciphertext) < payload["ciphertext_bytes"]:
        raise Refused("truncated: the file ends before the last chunk does")
    if len(ciphertext) > payload["ciphertext_bytes"]:
        raise Refused("trailing bytes after the last chunk")
    if hashlib.sha256(ciphertext).hexdigest() != payload["ciphertext_sha256"]:
        raise Refused("ciphertext_sha256 does not match the chunks")

    # Record key: A256GCM under the project key, AAD = label || SHA-256(meta without the wrap).
    meta = {k: v for k, v in header.items() if k != "payload"}
    wrap = meta["record_key"]
    if wrap.get("alg") != "A256GCM":
        raise Refused("unsupported key wrap algorithm")
    meta_without_key = {k: v for k, v in meta.items() if k != "record_key"}
    wrap_aad = KEY_WRAP_LABEL + hashlib.sha256(canonical(meta_without_key)).digest()
    try:
        record_key = AESGCM(project_key).decrypt(
            b64(wrap["nonce"], 12, "key wrap nonce"), b64(wrap["wrapped"], 48, "wrapped key"),
            wrap_aad)
    except InvalidTag:
        raise Refused("wrong project key or damaged key wrap")

    # Chunks: STREAM nonce = prefix(7) || u32 BE index || last flag; AAD = SHA-256(meta).
    prefix = b64(meta["nonce_prefix"], 7, "nonce_prefix")
    aad = hashlib.sha256(canonical(meta)).digest()
    aes = AESGCM(record_key)
    compressed = bytearray()
    offset = 0
    for i in range(n):
        last = i == n - 1
        size = len(ciphertext) - offset if last else chunk_size + TAG
        if size < TAG or offset + size > len(ciphertext):
            raise Refused(f"chunk {i + 1} of {n} has the wrong size")
        nonce = prefix + struct.pack(">I", i) + (b"\x01" if last else b"\x00")
        try:
            compressed += aes.decrypt(nonce, ciphertext[offset : offset + size], aad)
        except InvalidTag:
            raise Refused(f"chunk {i + 1} of {n} failed authentication")
        offset += size
    try:
        decompressor = zlib.decompressobj()
        plaintext = decompressor.decompress(bytes(compressed)) + decompressor.flush()
    except zlib.error as error:
        raise Refused(f"the payload does not decompress: {error}")
    if not decompressor.eof or decompressor.unused_data:
        raise Refused("the zlib stream is incomplete or followed by other data")
    if len(plaintext) != payload["plaintext_bytes"]:
        raise Refused("plaintext size differs from the header")
    if hashlib.sha256(plaintext).hexdigest() != payload["plaintext_sha256"]:
        raise Refused("plaintext_sha256 does not match")
    return record_id, header, plaintext


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record")
    parser.add_argument("--public-key", required=True, help="hex, or @file holding hex")
    parser.add_argument("--project-key", required=True, help="hex, or @file holding hex")
    parser.add_argument("--out", help="where to write the plaintext")
    parser.add_argument("--expected-id")
    args = parser.parse_args()
    try:
        public_key = key_arg(args.public_key, 32, "public key")
        project_key = key_arg(args.project_key, 32, "project key")
        with open(args.record, "rb") as f:
            data = f.read()
        record_id, header, plaintext = verify(data, public_key, project_key, args.expected_id)
        if args.out:
            with open(args.out, "wb") as f:
                f.write(plaintext)
    except (Refused, KeyError, TypeError, OSError) as error:
        reason = f"missing or invalid field {error}" if isinstance(error, (KeyError, TypeError)) \
            else str(error)
        print(f"FAIL: {args.record}: {reason}", file=sys.stderr)
        return 1
    print(f"OK {record_id} chunks={header['payload']['chunks']} "
          f"plaintext_bytes={len(plaintext)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
