"""Writes the DER certificates ("x5c") of a trust store's keys as files.

Usage: python3 tests/fuzz/certificates.py TRUST.json OUT_DIR
The fuzz scripts seed fuzz_trust with them (cert-0.der, cert-1.der, ...).
"""
import base64
import json
import os
import sys

store_path, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
with open(store_path) as f:
    store = json.load(f)
count = 0
for jwks in store.values():
    for key in jwks.get("keys", []):
        for cert in key.get("x5c", []):
            with open(os.path.join(out_dir, "cert-%d.der" % count), "wb") as out:
                out.write(base64.b64decode(cert))
            count += 1
