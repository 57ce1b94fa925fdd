"""Logging in from a notebook or dashboard: the model against a real SQLite store, then the widget."""

from __future__ import annotations

import pytest

from workbench.records import Participant
from workbench.records.demo import DEMO_USERS, demo_passwords, open_demo_store
from workbench.ui.login import Login, LoginPanel


@pytest.fixture
def demo(workspace):
    open_demo_store(workspace.root).close()  # accounts and study, passwords in the workspace
    return workspace, demo_passwords(workspace.root)


def test_model_logs_in_with_the_right_password_only(demo):
    ws, passwords = demo
    model = Login(workspace=ws.root)
    seen = []
    model.on_login(seen.append)
    name = DEMO_USERS["assessor"]
    assert not model.login(name, "wrong password, surely")
    assert model.store is None and model.ok is False and "login refused" in model.message and seen == []
    assert not model.login("", "x") and "user name" in model.message
    assert model.login(name, passwords[name])
    assert model.store.user.name == name and model.store.user.site_id == "ZH"
    assert "assessor" in model.message and "ZH" in model.message
    assert seen == [model.store]
    assert [p.id for p in model.store.find(Participant)] == ["SCI-001", "SCI-002"]  # their site only
    late = []
    model.on_login(late.append)  # subscribing after the login still hands over the store
    assert late == [model.store]
    model.logout()
    assert model.store is None


def test_panel_is_a_thin_view_and_never_keeps_the_password(demo):
    ws, passwords = demo
    panel = LoginPanel(workspace=ws.root)
    got = []
    panel.on_login(got.append)
    name = DEMO_USERS["monitor"]
    panel.user.value, panel.password.value = name, "not it at all"
    panel.button.click()
    assert panel.store is None and panel.password.value == "" and "login refused" in panel.message.value
    panel.user.value, panel.password.value = name, passwords[name]
    panel.button.click()
    assert panel.store is not None and got == [panel.store] and panel.password.value == ""
    assert "Logged in as demo.monitor" in panel.message.value
    log = panel.store.access_log()
    assert ("demo.monitor", "login_refused") in set(zip(log.user_name, log.event))
    panel.model.logout()


def _press_enter(field) -> None:
    """What the browser sends when Enter is pressed in a text field (ipywidgets' text view)."""
    field.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"event": "submit"}}}, "buffers": []})


def test_enter_in_the_password_field_signs_in_once(demo):
    ws, passwords = demo
    panel = LoginPanel(workspace=ws.root)
    got = []
    panel.on_login(got.append)
    name = DEMO_USERS["monitor"]
    panel.user.value, panel.password.value = name, passwords[name]
    _press_enter(panel.password)
    assert panel.store is not None and got == [panel.store] and panel.password.value == ""
    _press_enter(panel.password)  # Enter again on the now empty field: no second attempt, no refusal shown
    assert got == [panel.store] and "Logged in as demo.monitor" in panel.message.value
    panel.model.logout()
