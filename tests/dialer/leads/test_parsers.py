"""The pure side: numbers, zones and the three formats, fed in any chunking."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime

import phonenumbers
import pytest

from engine.dialer.leads import (
    ContactSchema,
    InvalidNumber,
    Lead,
    LeadFormatError,
    LineError,
    ParseOptions,
    PhoneNormalizer,
    parse,
    parse_csv,
    parse_json,
    parse_ucontact,
)
from engine.dialer.leads.phones import valid_zone

SCHEMA = ContactSchema(
    fields=("crm_id", "name", "phone", "mobile", "work"),
    phone_fields=("phone", "mobile", "work"),
    main_phone_field="phone",
    external_id_field="crm_id",
)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def leads(items: list[Lead | LineError]) -> list[Lead]:
    return [i for i in items if isinstance(i, Lead)]


def errors(items: list[Lead | LineError]) -> list[tuple[int, str | None]]:
    return [(i.line, i.field) for i in items if isinstance(i, LineError)]


# --- numbers and zones -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(201) 555-0123", "US", "+12015550123"),
        ("201.555.0123", "US", "+12015550123"),
        ("1 201 555 0123", "US", "+12015550123"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("098344484", "UY", "+59898344484"),
        ("099 124 484", "UY", "+59899124484"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("+1 (415) 555-0100 ext. 12", "US", "+14155550100"),
    ],
)
def test_numbers_become_e164_with_the_default_region(raw: str, region: str, expected: str) -> None:
    assert PhoneNormalizer(region).normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "123", "+999 1234567", "(201) 555-01234567"])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        PhoneNormalizer("US").normalize(raw)


def test_the_fast_path_agrees_with_phonenumbers() -> None:
    rng = random.Random(5)
    for region in ("US", "GB", "UY", "DE", "BR", "AR", "IT", "MX", "FR", "IN"):
        normalizer = PhoneNormalizer(region)
        code = str(phonenumbers.country_code_for_region(region))
        for _ in range(150):
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 13)))
            raw = rng.choice(["", "+", "0", "00", code, "+" + code, "0" + code]) + digits
            try:
                number = phonenumbers.parse(raw, region)
                valid = phonenumbers.is_valid_number(number)
                expected = phonenumbers.format_number(number, 0) if valid else None
            except phonenumbers.NumberParseException:
                expected = None
            try:
                got: str | None = normalizer.normalize(raw)
            except InvalidNumber:
                got = None
            assert got == expected, (region, raw)


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        PhoneNormalizer("XX")


def test_zones() -> None:
    assert valid_zone("America/Montevideo")
    assert not valid_zone("Mars/Olympus")
    assert not valid_zone("../etc/passwd")
    assert not valid_zone("")


# --- CSV -------------------------------------------------------------------------------------

CSV = (
    b"crm_id,name,phone,mobile,work\n"
    b"A1,Ana,(201) 555-0123,+1 415 555 0100,\n"
    b'B2,"Bob\nSmith",not-a-number,,\n'
    b"C3,Cy,212-555-0111,212-555-0111,415 555 0101\n"
    b"\n"
    b"D4,Di,212-555-0112,12,\n"
)


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 16])
def test_csv_maps_the_header_to_the_database_fields(size: int) -> None:
    items = list(parse_csv(chunked(CSV, size), SCHEMA))
    ana, cy = leads(items)
    assert ana.line == 2
    assert ana.phone == "+12015550123"
    assert ana.alternates == ("+14155550100",)
    assert ana.external_id == "A1"
    assert ana.data == {
        "crm_id": "A1",
        "name": "Ana",
        "phone": "(201) 555-0123",
        "mobile": "+1 415 555 0100",
        "work": "",
    }
    # A quoted newline keeps the record whole; the next record's line counts it.
    assert cy.line == 5
    assert cy.alternates == ("+14155550101",)  # the repeat of the main number is dropped
    assert errors(items) == [(3, "phone"), (7, "mobile")]


def test_csv_semicolons_control_columns_and_case() -> None:
    text = (
        "CRM_ID;Phone;priority;timezone;agent;due_at\n"
        "x1;2015550123;7;America/Chicago;1001;2030-01-02 09:00\n"
        "x2;2015550124;high;Mars/Base;;yesterday\n"
    )
    items = list(parse_csv([text], SCHEMA, ParseOptions(naive_zone="UTC")))
    (lead,) = leads(items)
    assert lead.priority == 7
    assert lead.timezone == "America/Chicago"
    assert lead.agent == "1001"
    # A naive time is read in the row's zone.
    assert lead.due_at == datetime(2030, 1, 2, 15, 0, tzinfo=UTC)
    assert lead.data == {"crm_id": "x1", "phone": "2015550123"}
    assert errors(items) == [(3, "timezone"), (3, "priority"), (3, "due_at")]


def test_csv_extra_columns_are_refused_or_ignored() -> None:
    text = "phone,shoe_size\n2015550123,44\n"
    with pytest.raises(LeadFormatError, match="shoe_size"):
        list(parse_csv([text], SCHEMA))
    (lead,) = leads(list(parse_csv([text], SCHEMA, ParseOptions(extra_fields="ignore"))))
    assert lead.data == {"phone": "2015550123"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,mobile\nAna,2015550123\n", "main phone"),
        ("phone,Phone\n1,2\n", "twice"),
        ("", "no header"),
    ],
)
def test_csv_header_problems_stop_the_file(text: str, message: str) -> None:
    with pytest.raises(LeadFormatError, match=message):
        list(parse_csv([text], SCHEMA))


def test_a_nul_in_an_external_id_is_the_rows_error() -> None:
    text = "crm_id,phone\nA\x001,2015550123\nB1,2015550124\n"
    items = list(parse_csv([text], SCHEMA))
    assert [x.external_id for x in leads(items)] == ["B1"]
    assert errors(items) == [(2, "crm_id")]
    items = list(parse_json(['[{"phone": "2015550123", "external_id": "A\\u00001"}]']))
    assert errors(items) == [(1, "external_id")]


def test_csv_row_width_and_bad_bytes() -> None:
    data = b"\xef\xbb\xbfphone,name\n2015550123,a,b\n2015550124\n\xff\xfe,x\n2015550125,ok,\n"
    items = list(parse_csv([data], SCHEMA))
    assert [x.phone for x in leads(items)] == ["+12015550125"]
    assert errors(items) == [(2, None), (3, None), (4, None)]


# --- uContact -----------------------------------------------------------------------------

UCONTACT = (
    "Ventas->;098344484;var1=val1:var2=val2;099124484:099111111;9999;1001\n"
    "Ventas;098344485\r\n"
    "Otra->;098344486;;;;\n"
    "ventas;098344487;novalue;;x;\n"
    "Ventas;098344488;a=1;;5;;America/Montevideo\n"
    "Ventas;1;2;3;4;5;6;7\n"
)


def test_ucontact_base_format() -> None:
    options = ParseOptions(default_region="UY", campaign_names=frozenset({"Ventas"}))
    items = list(parse_ucontact([UCONTACT.encode()], options))
    first, second, with_zone = leads(items)
    assert first.phone == "+59898344484"
    assert first.alternates == ("+59899124484", "+59899111111")
    assert first.data == first.variables == {"var1": "val1", "var2": "val2"}
    assert first.priority == 9999
    assert first.agent == "1001"
    assert first.timezone is None
    assert (second.line, second.phone, second.priority, second.agent) == (
        2,
        "+59898344485",
        0,
        None,
    )
    assert with_zone.timezone == "America/Montevideo"
    assert errors(items) == [
        (3, "campaign"),
        (4, "variables"),
        (4, "priority"),
        (6, None),
    ]


def test_ucontact_upload_with_time_zone() -> None:
    options = ParseOptions(default_region="UY", timezone="America/Montevideo")
    lines = ["Ventas;098344484;;;;\n", "Ventas;098344485;;;;;Europe/Madrid\n"]
    plain, own = leads(list(parse_ucontact(lines, options)))
    assert plain.timezone == "America/Montevideo"
    assert own.timezone == "Europe/Madrid"
    (bad,) = list(parse_ucontact(["V;098344484;;;;;Nowhere/Town\n"], options))
    assert bad == LineError(1, "timezone", "unknown time zone 'Nowhere/Town'")


# --- JSON ------------------------------------------------------------------------------------

JSON_ITEMS = [
    {
        "phone": "2015550123",
        "alternates": ["415-555-0100", "bad"],
        "priority": 3,
        "data": {"name": "Ana"},
    },
    {
        "number": "+14155550101",
        "alternates": "4155550102:4155550103",
        "external_id": 77,
        "timezone": "America/Los_Angeles",
        "agent": "1001",
        "due_at": "2030-01-01T10:00:00-08:00",
        "data": {"name": "Bo", "tags": ["x"]},
    },
    {"phone": "2015550124", "color": "red"},
    "not an object",
]


@pytest.mark.parametrize("size", [1, 5, 1 << 16])
@pytest.mark.parametrize("wrapped", [False, True])
def test_json_lists(size: int, wrapped: bool) -> None:
    document: object = JSON_ITEMS
    if wrapped:
        document = {"queue_id": 1, "meta": {"a": [1, {"b": "]"}]}, "items": JSON_ITEMS, "z": 1}
    data = json.dumps(document, indent=1).encode()
    items = list(parse_json(chunked(data, size)))
    (bo,) = leads(items)
    assert bo.phone == "+14155550101"
    assert bo.alternates == ("+14155550102", "+14155550103")
    assert bo.external_id == "77"
    assert bo.due_at == datetime(2030, 1, 1, 18, 0, tzinfo=UTC)
    assert bo.data == {"name": "Bo", "tags": ["x"]}
    assert [e.field for e in items if isinstance(e, LineError)] == [
        "alternates",
        "color",
        None,
    ]
    # Errors name the line where their item starts.
    lines = data.decode().splitlines()
    for error in (e for e in items if isinstance(e, LineError)):
        assert lines[error.line - 1].strip() in ("{", '"not an object"')


def test_json_webitel_members() -> None:
    member = {
        "communications": [
            {"destination": "2015550123", "priority": 0},
            {"destination": "2015550124", "priority": 10},
        ],
        "name": "Zed",
        "priority": 4,
        "variables": {"link": "https://crm/1"},
        "timezone": {"name": "America/Chicago"},
        "agent": {"id": 12},
        "min_offering_at": 1_900_000_000_000,
        "expire_at": 1_900_086_400,
    }
    (lead,) = list(parse_json([json.dumps({"items": [member], "queue_id": 3})]))
    assert isinstance(lead, Lead)
    assert lead.phone == "+12015550124"  # the larger priority is dialled first
    assert lead.alternates == ("+12015550123",)
    assert lead.data == {"link": "https://crm/1", "name": "Zed"}
    assert lead.variables == {"link": "https://crm/1"}
    assert lead.agent == "12"
    assert lead.due_at == datetime.fromtimestamp(1_900_000_000, UTC)
    assert lead.expires_at == datetime.fromtimestamp(1_900_086_400, UTC)


@pytest.mark.parametrize(
    "text",
    [
        '[{"phone": "2015550123"} {"phone": "1"}]',
        '[{"phone": "2015550123"},',
        '"x"',
        "[1] 2",
        '[{"phone": "2015550123", "data": {"score": NaN}}]',
    ],
)
def test_json_syntax_errors_stop_the_reading(text: str) -> None:
    with pytest.raises(LeadFormatError):
        list(parse_json([text]))


# --- streaming -------------------------------------------------------------------------------


def test_parsers_consume_their_input_lazily() -> None:
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        yield "phone,name\n"
        for i in range(10_000):
            consumed += 1
            yield f"2015550{i % 1000:03d},n{i}\n"

    rows = parse("csv", lines(), SCHEMA, ParseOptions())
    first = next(rows)
    assert isinstance(first, Lead) and first.line == 2
    assert consumed < 10

    def items() -> Iterator[bytes]:
        nonlocal consumed
        consumed = 0
        yield b"["
        for _ in range(10_000):
            consumed += 1
            yield b'{"phone": "2015550123"},\n'
        yield b'{"phone": "2015550123"}]'

    first_json = next(parse("json", items(), SCHEMA, ParseOptions()))
    assert isinstance(first_json, Lead)
    assert consumed < 10


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown lead format"):
        list(parse("xml", [], SCHEMA, ParseOptions()))
