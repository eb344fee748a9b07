"""`matrix`: one scenario per combination, expanded at load time, with its values filled in."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.scenario.load import load_all, load_scenario, load_scenarios
from tests.scenario.test_loader import run_validate

CARDS = """\
name: Card checkout
base_url: http://{{shop}}:8000/
hosts: {shop.test: 127.0.0.1, pay.test: 127.0.0.1}
matrix:
  card:
    - {label: visa, number: "4111111111111111"}
    - {label: mastercard, number: "5555555555554444"}
  device: [iPhone 13, Desktop Chrome]
  shop: [shop.test]
secrets:
  card_number: "{{card.number}}"
browser:
  device: "{{device}}"
  locale: es-ES
steps:
  - goto: /
  - pay:
      hosts: [pay.test]
      submit: "#pay"
      steps:
        - fill: {selector: "#card", value: "{{card_number}}"}
        - fill: {selector: "#name", value: "{{card}} holder"}
"""


def write(tmp_path: Path, text: str, name: str = "cards.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_combination_is_its_own_scenario(tmp_path: Path) -> None:
    loaded = load_scenarios(write(tmp_path, CARDS), env={})
    assert [s.scenario.name for s in loaded] == [
        "Card checkout [card=visa, device=iPhone 13, shop=shop.test]",
        "Card checkout [card=visa, device=Desktop Chrome, shop=shop.test]",
        "Card checkout [card=mastercard, device=iPhone 13, shop=shop.test]",
        "Card checkout [card=mastercard, device=Desktop Chrome, shop=shop.test]",
    ]
    assert [s.id for s in loaded] == [
        "cards--visa-iphone-13-shop-test",
        "cards--visa-desktop-chrome-shop-test",
        "cards--mastercard-iphone-13-shop-test",
        "cards--mastercard-desktop-chrome-shop-test",
    ]
    first, last = loaded[0], loaded[-1]
    assert first.matrix == {"card": "visa", "device": "iPhone 13", "shop": "shop.test"}
    assert first.scenario.secrets == {"card_number": "4111111111111111"}
    assert last.scenario.secrets == {"card_number": "5555555555554444"}
    assert first.scenario.browser.device == "iPhone 13" and last.scenario.browser.device == "Desktop Chrome"
    assert first.scenario.base_url == "http://shop.test:8000/"
    assert first.scenario.matrix is None  # expanded: the values are on LoadedScenario.matrix
    pay = first.scenario.pay_steps()[0]
    assert pay.steps[0].args.value == "{{card_number}}"  # a run-time reference stays for run time
    assert pay.steps[1].args.value == "visa holder"  # a mapping inside text stands for its label
    assert all(s.file == first.file for s in loaded)


def test_identity_is_stable_and_survives_other_files(tmp_path: Path) -> None:
    path = write(tmp_path, CARDS)
    again = [s.id for s in load_scenarios(path, env={})]
    assert again == [s.id for s in load_scenarios(path, env={})]
    (tmp_path / "zz-other.yaml").write_text("name: o\nbase_url: http://a.test/\nsteps: [{goto: /}]\n")
    everything = load_all([tmp_path], env={})
    assert [s.id for s in everything if s.file == path] == again
    assert len({s.id for s in everything}) == len(everything)


def test_include_and_exclude_work_as_in_github_actions(tmp_path: Path) -> None:
    text = """\
name: m
base_url: http://a.test/
matrix:
  os: [linux, mac]
  node: [14, 16]
  exclude:
    - {os: mac, node: 14}
  include:
    - {os: linux, experimental: "yes"}
    - {os: windows, node: 16}
    - {node: 16, npm: 8}
steps:
  - goto: /{{os}}/{{node}}
"""
    loaded = load_scenarios(write(tmp_path, text, "m.yaml"), env={})
    assert [s.matrix for s in loaded] == [
        {"os": "linux", "node": "14", "experimental": "yes"},
        {"os": "linux", "node": "16", "experimental": "yes", "npm": "8"},
        {"os": "mac", "node": "16", "npm": "8"},
        {"os": "windows", "node": "16"},  # fits no original combination: added as its own
    ]
    assert loaded[3].scenario.steps[0].args.url == "/windows/16"
    assert loaded[1].scenario.name == "m [os=linux, node=16, experimental=yes, npm=8]"


def test_an_included_combination_names_a_mapping_value_by_its_label(tmp_path: Path) -> None:
    # The docs' own example: an include that fits no combination, naming the visa card by its label.
    text = CARDS.replace(
        "  shop: [shop.test]\n",
        "  shop: [shop.test]\n  include:\n    - {card: visa, device: Pixel 7, shop: shop.test}\n",
    )
    loaded = load_scenarios(write(tmp_path, text), env={})
    added = loaded[-1]
    assert added.matrix == {"card": "visa", "device": "Pixel 7", "shop": "shop.test"}
    assert added.scenario.secrets == {"card_number": "4111111111111111"}
    assert added.scenario.browser.device == "Pixel 7"
    assert len(loaded) == 5


def test_a_whole_value_reference_keeps_a_mapping(tmp_path: Path) -> None:
    text = """\
name: v
base_url: http://a.test/
matrix:
  screen:
    - {label: phone, size: {width: 390, height: 844}, agent: Mobile}
    - {label: desktop, size: {width: 1280, height: 800}, agent: Desktop}
browser:
  viewport: "{{screen.size}}"
  user_agent: "audit {{screen.agent}}"
steps: [{goto: /}]
"""
    phone, desktop = load_scenarios(write(tmp_path, text, "v.yaml"), env={})
    assert phone.scenario.browser.viewport is not None and phone.scenario.browser.viewport.width == 390
    assert desktop.scenario.browser.viewport is not None and desktop.scenario.browser.viewport.height == 800
    assert phone.scenario.browser.user_agent == "audit Mobile"


def test_env_values_are_substituted_before_the_matrix(tmp_path: Path) -> None:
    text = "name: e\nbase_url: ${URL}\nmatrix:\n  n: ['${A}', b]\nsteps:\n  - goto: /{{n}}\n"
    loaded = load_scenarios(write(tmp_path, text, "e.yaml"), env={"URL": "http://a.test/", "A": "from-env"})
    assert [s.scenario.steps[0].args.url for s in loaded] == ["/from-env", "/b"]


def test_validate_prints_the_combinations(tmp_path: Path) -> None:
    status, output = run_validate(write(tmp_path, CARDS))
    assert status == 0, output
    assert "(4 combinations)" in output
    assert "[card=mastercard, device=Desktop Chrome, shop=shop.test]" in output
    assert "cards--mastercard-desktop-chrome-shop-test" in output
    assert "4 scenario(s) valid (1 file(s))" in output


def test_validate_lists_each_combination_by_its_whole_name_when_the_name_uses_a_matrix_value(
    tmp_path: Path,
) -> None:
    text = (
        "name: Pay with {{card}}\nbase_url: http://a.test/\n"
        "matrix:\n  card: [visa, mastercard]\nsteps: [{goto: /}]\n"
    )
    status, output = run_validate(write(tmp_path, text, "named.yaml"))
    assert status == 0, output
    assert "(2 combinations)" in output
    assert "Pay with visa [card=visa]" in output
    assert "Pay with mastercard [card=mastercard]" in output


def test_load_scenario_refuses_a_matrix_file_clearly(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        load_scenario(write(tmp_path, CARDS), env={})
    assert "matrix of 4 combination(s)" in refused.value.render()


# (id, the file after the matrix's name line, line, fragments)
HEAD = "name: m\nbase_url: http://a.test/\n"
BAD_MATRICES: list[tuple[str, str, int, list[str]]] = [
    ("not-a-mapping", "matrix: [a, b]\nsteps: [{goto: /}]\n", 3, ["matrix", "mapping"]),
    ("empty", "matrix: {}\nsteps: [{goto: /}]\n", 3, ["matrix", "no lists of values"]),
    ("empty-list", "matrix:\n  card: []\nsteps: [{goto: /}]\n", 4, ["matrix.card", "empty"]),
    ("not-a-list", "matrix:\n  card: visa\nsteps: [{goto: /}]\n", 4, ["matrix.card", "a list"]),
    ("null-value", "matrix:\n  card: [visa, null]\nsteps: [{goto: /}]\n", 4, ["matrix.card[1]", "null"]),
    ("list-value", "matrix:\n  card: [[a]]\nsteps: [{goto: /}]\n", 4, ["matrix.card[0]", "got a list"]),
    (
        "no-label",
        "matrix:\n  card:\n    - {number: {x: 1}}\nsteps: [{goto: /}]\n",
        5,
        ["matrix.card[0]", "`label`"],
    ),
    (
        "same-label",
        "matrix:\n  card: [visa, {label: visa, n: 1}]\nsteps: [{goto: /}]\n",
        4,
        ["matrix.card[1]", "named 'visa'"],
    ),
    (
        "bad-name",
        "matrix:\n  card-type: [a]\nsteps: [{goto: /}]\n",
        4,
        ["matrix.card-type", "not a valid name"],
    ),
    (
        "exclude-unknown-key",
        "matrix:\n  card: [visa, amex]\n  exclude:\n    - {crad: visa}\nsteps: [{goto: /}]\n",
        6,
        ["matrix.exclude[0].crad", "not one of the matrix's lists", "did you mean 'card'"],
    ),
    (
        "exclude-unknown-value",
        "matrix:\n  card: [visa, amex]\n  exclude:\n    - {card: vsia}\nsteps: [{goto: /}]\n",
        6,
        ["matrix.exclude[0].card", "not a value of matrix.card", "did you mean 'visa'"],
    ),
    (
        "exclude-empty",
        "matrix:\n  card: [visa]\n  exclude:\n    - {}\nsteps: [{goto: /}]\n",
        6,
        ["matrix.exclude[0]", "names no combination"],
    ),
    (
        "exclude-everything",
        "matrix:\n  card: [visa]\n  exclude:\n    - {card: visa}\nsteps: [{goto: /}]\n",
        5,
        ["matrix.exclude", "drops every combination"],
    ),
    (
        "too-many",
        "matrix:\n  a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n"
        "  b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\nsteps: [{goto: /}]\n",
        3,
        ["matrix", "272 combinations", "at most 256"],
    ),
    (
        "product-too-large",
        "matrix:\n"
        + "".join(f"  k{i}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" for i in range(5))
        + "steps: [{goto: /}]\n",
        3,
        ["matrix", "100,000 combinations before exclude"],
    ),
    (
        "unknown-key-in-value",
        "matrix:\n  card:\n    - {label: visa, number: '4111'}\n"
        "steps:\n  - fill: {selector: '#c', value: '{{card.nubmer}}'}\n",
        7,
        ["steps[0].fill.value", "{{card.nubmer}}", "has no key 'nubmer'", "did you mean 'number'"],
    ),
    (
        "key-of-a-scalar",
        "matrix:\n  card: [visa]\nsteps:\n  - fill: {selector: '#c', value: '{{card.number}}'}\n",
        6,
        ["steps[0].fill.value", "{{card.number}}", "not a mapping"],
    ),
    (
        "dotted-not-matrix",
        "matrix:\n  card: [visa]\nvars: {x: a}\n"
        "steps:\n  - fill: {selector: '#c', value: '{{crad.number}}'}\n",
        7,
        ["steps[0].fill.value", "crad is not a matrix name", "did you mean 'card'"],
    ),
    (
        "dotted-without-matrix",
        "steps:\n  - fill: {selector: '#c', value: '{{card.number}}'}\n",
        4,
        ["steps[0].fill.value", "not a matrix name", "no matrix"],
    ),
    (
        "unknown-plain-name",
        "matrix:\n  card: [visa]\nsteps:\n  - fill: {selector: '#c', value: '{{crad}}'}\n",
        6,
        ["steps[0].fill.value", "{{crad}} is not defined", "did you mean 'card'"],
    ),
    (
        "included-without-value",
        "matrix:\n  card: [visa]\n  device: [iPhone 13]\n  include:\n    - {card: amex}\n"
        "browser:\n  device: '{{device}}'\nsteps: [{goto: /}]\n",
        9,
        ["browser.device", "{{device}} cannot be filled", "in [card=amex]"],
    ),
    (
        "name-clash",
        "matrix:\n  email: [a, b]\nvars:\n  email: x@y.z\nsteps: [{goto: /}]\n",
        4,
        ["matrix.email", "also a var"],
    ),
    (
        "bad-value-in-one-combination",
        "matrix:\n  device: [iPhone 13, iPhone 99]\nbrowser:\n  device: '{{device}}'\nsteps: [{goto: /}]\n",
        6,
        ["browser.device", "'iPhone 99' is not a Playwright device name", "in [device=iPhone 99]"],
    ),
    (
        "list-inside-text",
        "matrix:\n  card:\n    - {label: a, tags: [x, y]}\nsteps:\n  - goto: '/{{card.tags}}/x'\n",
        7,
        ["steps[0].goto", "is a list"],
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "line", "fragments"), BAD_MATRICES, ids=[c[0] for c in BAD_MATRICES]
)
def test_bad_matrices_are_refused_with_file_line_and_key(
    tmp_path: Path, case: str, text: str, line: int, fragments: list[str]
) -> None:
    if case == "bad-value-in-one-combination":
        from auditor.scenario.devices import device_names

        if device_names() is None:
            pytest.skip("Playwright's device list cannot be read from this installation")
    path = write(tmp_path, HEAD + text, f"{case}.yaml")
    status, output = run_validate(path)
    assert status == 2, output
    assert f"{path.name}:{line}" in output, output
    for fragment in fragments:
        assert fragment in output, output
    assert "Traceback" not in output


def test_a_huge_matrix_is_refused_quickly(tmp_path: Path) -> None:
    import time

    text = HEAD + "matrix:\n" + "".join(f"  k{i}: [{', '.join(map(str, range(50)))}]\n" for i in range(30))
    path = write(tmp_path, text + "steps: [{goto: /}]\n", "huge.yaml")
    start = time.monotonic()
    with pytest.raises(InputError) as refused:
        load_scenarios(path, env={})
    assert "before exclude" in refused.value.render()
    assert time.monotonic() - start < 5  # 50**30 combinations are counted, never built


def test_an_expected_number_of_products_can_come_from_the_matrix_or_the_environment(tmp_path: Path) -> None:
    text = (
        "name: Baskets\nbase_url: http://shop.test:8000\nhosts: {shop.test: 127.0.0.1}\n"
        "matrix:\n  n: [1, 3]\nsteps:\n  - goto: /\n"
        "expect:\n  cn_purchase:\n    products: '{{n}}'\n    total_quantity: ${QTY:-2}\n"
    )
    loaded = load_scenarios(write(tmp_path, text), env={})
    expected = [s.scenario.expect.cn_purchase for s in loaded]
    assert [e["products"] for e in expected if isinstance(e, dict)] == ["1", "3"]
    with pytest.raises(InputError) as caught:
        load_scenarios(write(tmp_path, text.replace("[1, 3]", "[1, many]"), "bad.yaml"), env={})
    assert "products: the number of product_basket_item blocks: a whole number, got 'many'" in str(
        caught.value.render()
    )


def test_ids_of_files_with_the_same_name_do_not_depend_on_the_command_line_order(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder, CARDS, "x.yaml")
    forward = {
        s.file.parent.name + s.id.removeprefix("x") for s in load_all([tmp_path / "a", tmp_path / "b"])
    }
    backward = {
        s.file.parent.name + s.id.removeprefix("x") for s in load_all([tmp_path / "b", tmp_path / "a"])
    }
    assert forward == backward
    ids = {s.id for s in load_all([tmp_path / "b", tmp_path / "a"]) if s.file.parent.name == "a"}
    assert ids and all(i.startswith("x--") for i in ids)  # a/x.yaml sorts first: the plain id


@pytest.mark.parametrize("typo", ["includes", "exclud", "Include"])
def test_a_misspelt_include_or_exclude_is_not_taken_for_a_list(tmp_path: Path, typo: str) -> None:
    text = f"name: m\nbase_url: http://a.test/\nmatrix:\n  card: [visa, mc]\n  {typo}: [{{card: amex}}]\n"
    status, output = run_validate(write(tmp_path, text + "steps: [{goto: /}]\n", "m.yaml"))
    assert status == 2, output
    assert f"m.yaml:5:3: matrix.{typo}:" in output and "did you mean" in output, output


def test_a_matrix_value_is_labelled_and_filled_in_as_written(tmp_path: Path) -> None:
    # YAML reads a bare yes as true and 1.50 as 1.5; a reader of the report wrote `yes` and `1.50`.
    text = (
        "name: Gift\nbase_url: http://shop.test/\n"
        "matrix:\n  wrap: [yes, no]\n  price: [1.50, 2]\n  flag: [true]\n"
        "  exclude:\n    - {wrap: no, price: 2}\n"
        "steps:\n  - goto: /gift?wrap={{wrap}}&price={{price}}&flag={{flag}}\n"
    )
    loaded = load_scenarios(write(tmp_path, text, "gift.yaml"), env={})
    assert [s.scenario.name for s in loaded] == [
        "Gift [wrap=yes, price=1.50, flag=true]",
        "Gift [wrap=yes, price=2, flag=true]",
        "Gift [wrap=no, price=1.50, flag=true]",
    ]
    assert loaded[0].scenario.steps[0].args.url == "/gift?wrap=yes&price=1.50&flag=true"
    assert loaded[2].matrix == {"wrap": "no", "price": "1.50", "flag": "true"}
