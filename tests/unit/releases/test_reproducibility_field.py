from buildorch.releases.models import ReleaseResult, ReleaseSpec, Reproducibility


def test_release_json_says_whether_reproducibility_was_checked() -> None:
    doc = ReleaseResult(image="localhost:5000/app", version="1.2.3").model_dump(mode="json")
    assert doc["reproducibility"] == {"checked": False, "reproducible": None, "differences": []}
    checked = ReleaseResult(image="localhost:5000/app", version="1.2.3",
                            reproducibility=Reproducibility(checked=True, reproducible=True))
    assert checked.model_dump(mode="json")["reproducibility"]["reproducible"] is True


def test_reproducible_is_off_unless_asked() -> None:
    assert ReleaseSpec(version="1.2.3", image="localhost:5000/app").reproducible is False
