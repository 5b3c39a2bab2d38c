import pytest

from buildorch.core import platforms


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("Linux/ARM64", "linux/arm64"),
        ("arm64", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        (" linux/amd64/v2 ", "linux/amd64/v2"),
    ],
)
def test_normalize(raw: str, want: str) -> None:
    assert platforms.normalize(raw) == want


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("linux/aarch64", "did you mean linux/arm64?"),
        ("linux/x86_64", "did you mean linux/amd64?"),
        ("linux/amd46", "did you mean linux/amd64?"),
        ("plan9/sparc", "use os/arch[/variant]"),
        ("", "empty platform"),
    ],
)
def test_normalize_rejects_with_a_suggestion(raw: str, says: str) -> None:
    with pytest.raises(ValueError, match="unknown platform|empty platform") as exc:
        platforms.normalize(raw)
    assert says in str(exc.value)


def test_parse_list_splits_and_dedupes() -> None:
    assert platforms.parse_list(["linux/amd64,linux/arm64", "linux/arm64/v8"]) == ["linux/amd64", "linux/arm64"]


def test_arch_of() -> None:
    assert platforms.arch_of("linux/arm64") == "arm64"
    assert platforms.arch_of("linux/arm/v7") == "arm-v7"
