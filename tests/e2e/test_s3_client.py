"""The S3 client against real servers: runs the S3LiveTest GoogleTests of unit_s3 (PUT, ranged
GET, HEAD, LIST v2 pagination, batch DELETE, multipart streams, abort, error mapping) against
moto_server with signature checking on and against s3rver."""
import os
import pathlib
import subprocess

from conftest import SLUICE
from s3_server import s3, bucket  # noqa: F401  (fixtures)

UNIT_S3 = pathlib.Path(SLUICE).resolve().parent / "tests" / "unit_s3"


def test_client_against_server(s3, bucket):  # noqa: F811
    assert UNIT_S3.exists(), f"{UNIT_S3} is not built (cmake --build ... --target unit_s3)"
    env = dict(os.environ, SLUICE_TEST_S3_ENDPOINT=s3.endpoint, SLUICE_TEST_S3_ACCESS_KEY=s3.access_key,
               SLUICE_TEST_S3_SECRET_KEY=s3.secret_key, SLUICE_TEST_S3_BUCKET=bucket,
               SLUICE_TEST_S3_CHECKS_SIGNATURES="1" if s3.checks_signatures else "0")
    p = subprocess.run([str(UNIT_S3), "--gtest_filter=S3LiveTest.*", "--gtest_brief=1"], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, f"{s3.name}:\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}"
    assert "SKIPPED" not in p.stdout or not s3.checks_signatures, p.stdout
    # The objects the tests left are really there, as boto3 sees them.
    assert any(k.endswith("/other") for k in s3.keys(bucket))
