"""Throwaway certificates for TLS tests, made with the openssl CLI (deploy/ci/install-system-deps.sh installs it).

`make_pki(dir)`: a CA, a server certificate for 127.0.0.1 and localhost, a client certificate, all signed by
that CA, and a second, unrelated CA ("the wrong CA"). EC P-256 keys: quick to make.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
_CA_EXT = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]


@dataclasses.dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    _openssl("req", "-x509", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN=claim-edit test {name}",
             *_CA_EXT, cwd=directory)
    return directory / f"{name}.crt", directory / f"{name}.key"


def _leaf(directory: Path, name: str, ca: tuple[Path, Path], usage: str) -> tuple[Path, Path]:
    extensions = directory / f"{name}.ext"
    extensions.write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage={usage}\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n",
        encoding="utf-8",
    )
    _openssl("req", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial", "-out", f"{name}.crt",
             "-days", "2", "-extfile", str(extensions), cwd=directory)
    return directory / f"{name}.crt", directory / f"{name}.key"


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca(directory, "ca")
    server = _leaf(directory, "server", ca, "serverAuth")
    client = _leaf(directory, "client", ca, "clientAuth")
    other_ca, _ = _ca(directory, "other-ca")
    return Pki(ca=ca[0], server_cert=server[0], server_key=server[1], client_cert=client[0], client_key=client[1], other_ca=other_ca)
