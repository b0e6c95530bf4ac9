from benchmarks.tempo_range import verdict


def test_verdict_names_the_ratio_of_a_miss():
    assert verdict(172.0, 170.0) == "ok"
    assert verdict(85.0, 170.0) == "x1/2"
    assert verdict(113.0, 170.0) == "x2/3"
    assert verdict(340.0, 170.0) == "x2"
    assert verdict(128.0, 170.0) == "other"
    assert verdict(None, 170.0) == "none"
