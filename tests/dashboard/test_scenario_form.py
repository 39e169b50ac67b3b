"""Creating and editing scenarios: saved fields, script errors at their line, labelled inputs."""

import re
from html.parser import HTMLParser

from django.test import Client

from scenarios.models import ConnectionProfile, Location, Scenario

BAD_YAML = "- navigate: /search\n- click: '#go'\n- fly: away\n"


def form_data(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "name": "Search",
        "slug": "search",
        "url": "http://www.example.com/",
        "script_format": "url",
        "script": "",
        "frequency_minutes": "10",
        "cron": "",
        "first_party_text": "example.com\n*.cdn.example.net\n",
        "dns_text": "www.example.com 127.0.0.1\n",
        "block_text": "*.doubleclick.net\n",
        "profile": "native",
        "browser": "chromium",
    }
    data.update(overrides)
    return data


def test_an_editor_creates_a_scenario_with_every_field(
    editor_client: Client, location: Location
) -> None:
    response = editor_client.post(
        "/scenarios/new/", form_data(locations=[str(location.pk)], paused="on")
    )

    assert response.status_code == 302
    assert response["Location"] == "/scenarios/search/edit/"
    scenario = Scenario.objects.get(slug="search")
    assert scenario.first_party == ["example.com", "*.cdn.example.net"]
    assert scenario.dns_overrides == {"www.example.com": "127.0.0.1"}
    assert scenario.block == ["*.doubleclick.net"]
    assert scenario.frequency_minutes == 10
    assert scenario.paused is True
    assert list(scenario.locations.values_list("name", flat=True)) == ["local"]


def test_a_scenario_names_a_builtin_or_custom_profile_and_nothing_else(
    editor_client: Client,
) -> None:
    ConnectionProfile.objects.create(name="office", rtt_ms=12)
    page = editor_client.get("/scenarios/new/").content.decode()
    assert '<option value="lighthouse-mobile">' in page and '<option value="office">' in page

    refused = editor_client.post("/scenarios/new/", form_data(profile="5g"))
    editor_client.post("/scenarios/new/", form_data(profile="office"))

    assert "Select a valid choice. 5g is not one of the available choices." in (
        refused.content.decode()
    )
    assert Scenario.objects.get(slug="search").profile == "office"


def test_the_new_scenario_form_has_the_filmstrip_on_and_saves_it_switched_off(
    editor_client: Client,
) -> None:
    page = editor_client.get("/scenarios/new/").content.decode()
    assert re.search(r'<input type="checkbox" name="filmstrip"[^>]* checked', page)

    editor_client.post("/scenarios/new/", form_data())  # a browser sends no unticked box

    assert Scenario.objects.get(slug="search").filmstrip is False
    editor_client.post("/scenarios/search/edit/", form_data(filmstrip="on"))
    assert Scenario.objects.get(slug="search").filmstrip is True


def test_a_scenarios_browser_is_chosen_shown_and_changed_in_the_form(
    editor_client: Client,
) -> None:
    page = editor_client.get("/scenarios/new/").content.decode()
    select = re.search(r'<select name="browser"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert re.findall(r'<option value="(\w+)"( selected)?>(\w+)</option>', select[1]) == [
        ("chromium", " selected", "Chromium"),
        ("firefox", "", "Firefox"),
        ("webkit", "", "WebKit"),
    ]

    editor_client.post("/scenarios/new/", form_data(browser="firefox"))
    assert Scenario.objects.get(slug="search").browser == "firefox"
    edit = editor_client.get("/scenarios/search/edit/").content.decode()
    assert '<option value="firefox" selected>Firefox</option>' in edit
    assert 'browser: <span class="browser">Firefox</span>' in (
        editor_client.get("/scenarios/search/").content.decode()
    )

    editor_client.post("/scenarios/search/edit/", form_data(browser="webkit"))
    assert Scenario.objects.get(slug="search").browser == "webkit"
    refused = editor_client.post("/scenarios/search/edit/", form_data(browser="opera"))
    assert refused.status_code == 400
    assert "Select a valid choice. opera is not one of the available choices." in (
        refused.content.decode()
    )
    assert Scenario.objects.get(slug="search").browser == "webkit"


def test_a_yaml_script_is_parsed_into_steps(editor_client: Client) -> None:
    editor_client.post(
        "/scenarios/new/",
        form_data(script_format="yaml", script="- navigate: /search\n- click: '#go'\n"),
    )

    steps = Scenario.objects.get(slug="search").steps
    assert [(s["action"], s["line"]) for s in steps] == [("navigate", 1), ("click", 2)]


def test_a_script_error_is_shown_at_its_line(editor_client: Client) -> None:
    response = editor_client.post(
        "/scenarios/new/", form_data(script_format="yaml", script=BAD_YAML)
    )

    assert response.status_code == 400
    assert not Scenario.objects.exists()
    html = response.content.decode()
    error = re.search(r'<p class="field-error" id="id_script_error" role="alert">([^<]*)</p>', html)
    assert error is not None and error.group(1).startswith("line 3: ")
    offending = re.findall(r'<li value="(\d+)" class="offending"[^>]*><code>([^<]*)</code>', html)
    assert offending == [("3", "- fly: away")]
    textarea = re.search(r'<textarea name="script"[^>]*>', html)
    assert textarea is not None
    assert 'aria-describedby="id_script_error"' in textarea.group(0)
    assert 'aria-invalid="true"' in textarea.group(0)


def test_a_bad_dns_line_is_refused_with_its_number(editor_client: Client) -> None:
    response = editor_client.post(
        "/scenarios/new/", form_data(dns_text="a.com 1.2.3.4\nb.com nope")
    )

    assert response.status_code == 400
    assert "line 2: &#x27;nope&#x27; is not an IP address" in response.content.decode()


def test_a_non_http_url_is_refused(editor_client: Client) -> None:
    response = editor_client.post("/scenarios/new/", form_data(url="ftp://files.example.com/"))

    assert response.status_code == 400
    assert 'id="id_url_error"' in response.content.decode()


def test_editing_keeps_list_fields_as_lines(editor_client: Client, scenario: Scenario) -> None:
    scenario.first_party = ["example.com"]
    scenario.dns_overrides = {"www.example.com": "10.0.0.1"}
    scenario.save()

    html = editor_client.get("/scenarios/home/edit/").content.decode()

    assert re.search(r'name="first_party_text"[^>]*>\s*example.com</textarea>', html)
    assert re.search(r'name="dns_text"[^>]*>\s*www.example.com 10.0.0.1</textarea>', html)


class FormInventory(HTMLParser):
    """Collects every form control and every label's ``for`` target."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.label_for.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(values)


def unlabelled(html: str) -> list[str]:
    inventory = FormInventory()
    inventory.feed(html)
    return [
        str(c.get("name") or c.get("id"))
        for c in inventory.controls
        if c.get("id") not in inventory.label_for and not c.get("aria-label")
    ]


def test_every_input_of_the_scenario_form_has_a_label(
    editor_client: Client, scenario: Scenario
) -> None:
    for url in ("/scenarios/new/", "/scenarios/home/edit/"):
        html = editor_client.get(url).content.decode()
        assert unlabelled(html) == []
        assert html.count("<input") + html.count("<textarea") + html.count("<select") >= 12


def test_every_input_of_the_other_forms_has_a_label(
    editor_client: Client, scenario: Scenario, db: None
) -> None:
    for url in ("/", "/compare/", "/account/tokens/"):
        assert unlabelled(editor_client.get(url).content.decode()) == [], url
    assert unlabelled(Client().get("/accounts/login/").content.decode()) == []


def test_the_login_form_logs_in_and_returns_to_the_page(editor) -> None:  # type: ignore[no-untyped-def]
    editor.set_password("s3cret-pass")
    editor.save()
    client = Client()

    response = client.post(
        "/accounts/login/", {"username": "eddie", "password": "s3cret-pass", "next": "/compare/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/compare/"
    assert client.get("/compare/").status_code == 200


def test_wrong_credentials_show_an_error_and_keep_the_username(db: None) -> None:
    response = Client().post("/accounts/login/", {"username": "ghost", "password": "x"})

    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'value="ghost"' in html


def test_the_slug_new_is_reserved_for_the_creation_form(editor_client: Client) -> None:
    response = editor_client.post("/scenarios/new/", form_data(slug="new"))

    assert response.status_code == 400
    assert "“new” is reserved" in response.content.decode()


def test_the_run_page_filters_are_labelled(viewer_client: Client, make_run) -> None:  # type: ignore[no-untyped-def]
    run = make_run()

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()

    assert unlabelled(html) == []
    assert html.count("<select") == 2


def test_every_page_starts_with_a_skip_link_to_the_content(
    viewer_client: Client, scenario: Scenario
) -> None:
    for url in ("/", "/scenarios/home/", "/compare/", "/account/tokens/"):
        html = viewer_client.get(url).content.decode()
        body = html[html.index("<body>") :]
        assert body.index("<a ") == body.index('<a class="skip" href="#main">'), url
        assert '<main id="main">' in html


def test_a_scenario_saved_with_no_location_runs_from_the_servers_own(
    editor_client: Client, settings: object
) -> None:
    settings.PERFITE_LOCATION = "here"  # type: ignore[attr-defined]
    response = editor_client.post("/scenarios/new/", form_data())

    assert response.status_code == 302
    scenario = Scenario.objects.get(slug="search")
    assert list(scenario.locations.values_list("name", flat=True)) == ["here"]


def test_a_chosen_location_is_kept_and_no_other_is_added(
    editor_client: Client, location: Location
) -> None:
    Location.objects.create(name="elsewhere")
    editor_client.post("/scenarios/new/", form_data(locations=[str(location.pk)]))

    scenario = Scenario.objects.get(slug="search")
    assert list(scenario.locations.values_list("name", flat=True)) == [location.name]


def test_a_yaml_script_nested_a_thousand_levels_is_a_form_error(editor_client: Client) -> None:
    deep = "- navigate:\n" + "".join("  " * (n + 1) + f"k{n}:\n" for n in range(1000))
    response = editor_client.post("/scenarios/new/", form_data(script_format="yaml", script=deep))
    assert response.status_code == 400
    assert not Scenario.objects.exists()
    error = re.search(
        r'<p class="field-error" id="id_script_error" role="alert">([^<]*)</p>',
        response.content.decode(),
    )
    assert error is not None
    assert error.group(1) == "line 21: invalid YAML: nested more than 20 levels deep"
