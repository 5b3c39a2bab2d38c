import pytest

from buildorch.core import references


@pytest.mark.parametrize(
    "ref",
    ["app", "app:1.2.3", "localhost:5000/app:test", "ghcr.io/org/team/app:v1", "registry:5000/a_b/c-d.e:x",
     "app@sha256:" + "a" * 64],
)
def test_valid(ref: str) -> None:
    assert references.check(ref) == ref


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("App:1", "lower-case"),
        ("app:-bad", "a tag is up to 128"),
        ("app::1", "invalid image reference"),
        ("/app", "invalid image reference"),
        ("app:" + "x" * 129, "a tag is up to 128"),
    ],
)
def test_invalid(ref: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        references.check(ref)


def test_split_and_registry() -> None:
    assert references.split("localhost:5000/app:1.2") == ("localhost:5000/app", "1.2")
    assert references.registry_of("localhost:5000/app:1") == "localhost:5000"
    assert references.registry_of("library/app") is None
