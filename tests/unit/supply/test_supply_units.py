"""The pure parts of the supply chain: annotations, SPDX tables, govulncheck's JSON, Go binaries in a tar."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.core.errors import InputError
from buildorch.engine.tools import redact
from buildorch.supply import annotating, sbom, scan
from buildorch.supply.signing import Check, Verification

DATA = Path(__file__).resolve().parents[2] / "data" / "supply"


# -- annotations -------------------------------------------------------------------


def test_annotation_types_default_to_manifest_and_follow_buildx() -> None:
    assert annotating.parse("org.example.a=1") == [annotating.Annotation("manifest", "org.example.a", "1")]
    assert [a.kind for a in annotating.parse("index,manifest-descriptor:k=v")] == ["index", "manifest-descriptor"]
    [a] = annotating.parse("manifest[linux/arm64]:k=x=y")
    assert (a.platform, a.value, a.attribute()) == ("linux/arm64", "x=y", "annotation-manifest[linux/arm64].k=x=y")


@pytest.mark.parametrize("raw", ["novalue", "bogus:k=v", "index:=v", "index:k=a\nb", "manifest[linux]:k=v"])
def test_bad_annotations_say_why(raw: str) -> None:
    with pytest.raises(ValueError, match="annotation"):
        annotating.parse(raw)


def test_default_index_annotations_come_from_the_labels() -> None:
    labels = {"org.opencontainers.image.title": "app", "org.opencontainers.image.version": "1.3.0"}
    got = {a.key: a.value for a in annotating.default_index_annotations(labels, "app 1.3.0")}
    assert got == {
        "org.opencontainers.image.title": "app",
        "org.opencontainers.image.version": "1.3.0",
        "org.opencontainers.image.description": "app 1.3.0",
    }


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40))
def test_any_one_line_value_round_trips_through_the_csv_output(value: str) -> None:
    import csv

    [a] = annotating.parse(f"index:org.example.k={value}")
    fields = next(csv.reader([f"type=oci,{annotating.output_attributes([a])}"]))
    assert fields[1] == f"annotation-index.org.example.k={value}"


@given(st.text(max_size=30))
def test_parse_never_raises_anything_but_value_error(raw: str) -> None:
    with contextlib.suppress(ValueError):
        annotating.parse(raw)


# -- SBOM tables ---------------------------------------------------------------------


def test_spdx_package_table_skips_the_image_itself() -> None:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "documentDescribes": ["SPDXRef-DocumentRoot-Image-app"],
        "packages": [
            {"SPDXID": "SPDXRef-DocumentRoot-Image-app", "name": "app", "versionInfo": "sha256:1"},
            {"SPDXID": "SPDXRef-P1", "name": "stdlib", "versionInfo": "go1.26.8",
             "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:golang/stdlib@1.26.8"}]},
            {"SPDXID": "SPDXRef-P2", "name": "github.com/buildorch/app", "versionInfo": "(devel)",
             "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:golang/github.com/buildorch/app"}]},
        ],
    }
    assert [(p.kind, p.name, p.version) for p in sbom.packages(doc)] == [
        ("golang", "github.com/buildorch/app", "(devel)"),
        ("golang", "stdlib", "go1.26.8"),
    ]
    assert sbom.sbom_name("linux/arm64") == "sbom-linux-arm64.spdx.json"


def test_reading_something_that_is_not_spdx_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="spdxVersion"):
        sbom.read(tmp_path / "x.json")
    with pytest.raises(InputError, match="no SBOM file"):
        sbom.read(tmp_path / "missing.json")


# -- govulncheck ---------------------------------------------------------------------


def test_govulncheck_findings_are_one_per_advisory_and_called_at_symbol_level() -> None:
    # recorded: govulncheck v1.9.0 -mode=binary -json on a program calling golang.org/x/mod/semver.Compare
    [f] = scan.parse_govulncheck((DATA / "govulncheck-binary.json").read_text(), "linux/amd64", "/app")
    assert (f.id, f.module, f.version, f.fixed, f.called) == ("GO-2026-9001", "golang.org/x/mod", "v0.42.0", "v0.43.0", True)
    assert f.summary.startswith("Planted test advisory")
    assert scan.parse_govulncheck('{"config": {}}\n{"progress": {}}', "p", "b") == []


def test_db_is_required_and_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no vulnerability database"):
        scan.db_url(None)
    with pytest.raises(InputError, match="not a Go vulnerability database"):
        scan.db_url(str(tmp_path))
    assert scan.db_url(str(DATA / "vulndb")) == (DATA / "vulndb").as_uri()
    assert scan.db_url("https://vuln.go.dev") == "https://vuln.go.dev"


def _tar(files: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_only_elf_files_with_go_build_info_are_extracted(tmp_path: Path) -> None:
    elf = b"\x7fELF" + b"\0" * 100
    stream = _tar({
        "app": elf + b"\xff Go buildinf:" + b"\0" * 32,
        "usr/lib/libc.so": elf,
        "etc/passwd": b"root:x:0:0::/root:/bin/sh\n" * 4,
    })
    assert scan.go_binaries(stream, tmp_path) == ["/app"]
    assert (tmp_path / "app").read_bytes().startswith(b"\x7fELF")


# -- signatures ----------------------------------------------------------------------


def test_secrets_are_cut_out_of_tool_output() -> None:
    assert redact("bad password 'hunter2' for key", ["hunter2", ""]) == "bad password '***' for key"


def test_verification_is_ok_only_when_every_digest_is_signed_and_attested_where_asked() -> None:
    v = Verification("r:1", "sha256:" + "a" * 64, [Check("index", "sha256:" + "a" * 64, True)])
    assert v.ok
    v.checks.append(Check("linux/amd64", "sha256:" + "b" * 64, True, attested=False))
    assert not v.ok and "SBOM attestation MISSING" in "\n".join(v.lines())
    assert json.dumps([vars(c) for c in v.checks])
