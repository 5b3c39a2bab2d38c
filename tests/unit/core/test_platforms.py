import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.core import platforms
from buildorch.core.errors import BuildorchError

HOST = platforms.host_platform()


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm64/8", "linux/arm64"),
        ("Linux/ARM64", "linux/arm64"),
        ("arm64", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/6", "linux/arm/v6"),
        (" linux/amd64/v2 ", "linux/amd64/v2"),
        ("linux/amd64/v1", "linux/amd64"),
        # containerd's own spellings: accepted, never "corrected" with a suggestion
        ("linux/aarch64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/x86-64", "linux/amd64"),
        ("x86_64", "linux/amd64"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("linux/i386", "linux/386"),
        ("i386", "linux/386"),
        ("macos/arm64", "darwin/arm64"),
        ("windows(10.0.17763)/amd64", "windows(10.0.17763)/amd64"),
        ("local", HOST),
        ("LOCAL", HOST),
        ("linux", f"linux/{HOST.split('/')[1]}"),
        ("linux/riscv64", "linux/riscv64"),
    ],
)
def test_normalize_as_containerd(raw: str, want: str) -> None:
    assert platforms.normalize(raw) == want


def test_local_can_name_the_builders_platform() -> None:
    assert platforms.normalize("local", local="linux/arm64") == "linux/arm64"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("linux/amd46", "did you mean linux/amd64?"),
        ("linux/arm46", "did you mean linux/arm64?"),
        ("amd46", "did you mean amd64?"),
        ("linus/amd64", "unknown operating system 'linus'"),
        ("plan9/quux", "use os/arch[/variant]"),
        ("", "empty platform"),
        ("linux/*", "wildcards"),
        ("linux/amd64/v2/x", "too many parts"),
        ("linux/amd 64", "may hold only"),
    ],
)
def test_normalize_rejects_what_containerd_or_buildkit_rejects(raw: str, says: str) -> None:
    with pytest.raises(platforms.PlatformError) as exc:
        platforms.normalize(raw)
    assert says in str(exc.value)
    assert isinstance(exc.value, ValueError)  # pydantic validators report it as a field error


def test_parse_list_splits_and_dedupes() -> None:
    assert platforms.parse_list(["linux/amd64,linux/arm64", "linux/arm64/v8", "linux/aarch64"]) == [
        "linux/amd64",
        "linux/arm64",
    ]
    assert platforms.parse_list("linux/aarch64,local", local="linux/amd64") == ["linux/arm64", "linux/amd64"]


def test_arch_of() -> None:
    assert platforms.arch_of("linux/arm64") == "arm64"
    assert platforms.arch_of("linux/arm/v7") == "arm-v7"


_PART = st.sampled_from(
    ["linux", "Linux", "windows", "macos", "darwin", "amd64", "x86_64", "aarch64", "arm64", "arm", "armhf",
     "armel", "i386", "386", "v7", "v8", "7", "8", "v1", "v2", "riscv64", "local", "", "amd46", "*"]
)  # fmt: skip


@given(st.lists(_PART, min_size=1, max_size=4).map("/".join) | st.text(max_size=30))
def test_normalize_is_idempotent_and_raises_only_buildorch_errors(raw: str) -> None:
    try:
        once = platforms.normalize(raw)
    except BuildorchError:
        return
    assert platforms.normalize(once) == once
    assert once == once.strip() and "//" not in once
