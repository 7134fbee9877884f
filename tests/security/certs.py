"""A throw-away certificate authority and broker keystore made with the JDK's ``keytool``.

Kafka reads the PKCS12 keystore (broker key, its chain and the CA as a trusted entry); kafka-python
verifies the broker with the CA's PEM (KAFKA_SSL_CAFILE) and checks that the certificate names
127.0.0.1, as a real client checks a real broker's name.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BrokerCerts:
    ca_pem: Path  # KAFKA_SSL_CAFILE
    keystore: Path  # PKCS12, for ssl.keystore.location
    password: str


def _keytool(*args: str) -> None:
    keytool = shutil.which("keytool")
    java = shutil.which("java")
    if keytool is None and java is not None:  # ships next to java in every JDK/JRE
        candidate = Path(java).resolve().parent / "keytool"
        keytool = str(candidate) if candidate.exists() else None
    if keytool is None:
        raise RuntimeError("keytool (part of the Java runtime, next to java) was not found")
    result = subprocess.run([keytool, *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"keytool {args[0]} failed: {result.stdout}{result.stderr}")


def make_broker_certs(folder: Path, host_ip: str = "127.0.0.1") -> BrokerCerts:
    """A CA, and a broker certificate it signed for ``host_ip`` (valid two days), in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(12)
    ca_store, keystore = folder / "ca.p12", folder / "broker.p12"
    ca_pem, csr, broker_pem = folder / "ca.pem", folder / "broker.csr", folder / "broker.pem"
    common = ["-storetype", "PKCS12", "-storepass", password, "-keypass", password]
    ec = ["-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2"]
    _keytool("-genkeypair", "-alias", "ca", "-dname", "CN=newsstream test CA", "-ext", "bc:c",
             "-keystore", str(ca_store), *ec, *common)  # fmt: skip
    _keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", str(ca_store), "-file", str(ca_pem), *common)
    _keytool("-genkeypair", "-alias", "broker", "-dname", f"CN={host_ip}", "-keystore", str(keystore), *ec, *common)
    _keytool("-certreq", "-alias", "broker", "-keystore", str(keystore), "-file", str(csr), *common)
    _keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", str(ca_store), "-infile", str(csr),
             "-outfile", str(broker_pem), "-ext", f"SAN=ip:{host_ip}", "-validity", "2", *common)  # fmt: skip
    _keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", str(keystore), "-file", str(ca_pem), *common)
    _keytool("-importcert", "-alias", "broker", "-keystore", str(keystore), "-file", str(broker_pem), *common)
    return BrokerCerts(ca_pem=ca_pem, keystore=keystore, password=password)
