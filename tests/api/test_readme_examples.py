"""The README's three curl examples, run as written: each `curl` line of its "Three examples" section, through
bash and the real curl, against a live Kawal on the demo data, with the token its first lines make. The answers
must say what the README's comments say they say."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.live import VENV_BIN, live_server, seed_demo, server_environment

README = Path(__file__).resolve().parents[2] / "README.md"
PDF = b"%PDF-1.4\n% daftar hadir\n"


def readme_examples() -> tuple[str, list[str]]:
    """The section's setup block (the token) and its curl commands, as the README prints them."""
    text = README.read_text()
    section = text[text.index("### Three examples") : text.index("### What the API holds")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    setup, commands = blocks[0], []
    for block in blocks[1:]:
        code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("#"))
        commands.append(code.replace("\\\n", " ").strip())
    return setup, commands


def run(command: str, environment: dict, cwd: Path) -> tuple[int, dict | list]:
    """One README command through bash, with curl told to add the status after the body."""
    command = command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)
    result = subprocess.run(["bash", "-c", command], env=environment, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readmes_three_curl_examples_answer_as_it_says(make_app, tmp_path):
    app = make_app()
    environment = server_environment(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    environment["PATH"] = f"{VENV_BIN}:{environment['PATH']}"
    seed_demo(environment)
    setup, (overdue, acknowledge, progress) = readme_examples()
    token_line = re.search(r"export KAWAL_TOKEN=\$\((.*)\)", setup).group(1).replace(".venv/bin/flask", "flask")
    secret = subprocess.run(["bash", "-c", token_line], env=environment, capture_output=True, text=True, check=True)
    (tmp_path / "daftar-hadir.pdf").write_bytes(PDF)
    with live_server(environment, tmp_path / "server.log") as base:
        shell = environment | {"KAWAL": base, "KAWAL_TOKEN": secret.stdout.strip()}
        status, tasks = run(overdue, shell, tmp_path)
        assert status == 200 and tasks and all(task["overdue"] and task["opd_code"] == "DP3AP2KB" for task in tasks)
        status, task = run(acknowledge, shell, tmp_path)
        assert status == 200, task
        assert (task["status"], task["pic_name"]) == ("acknowledged", "Siti Rahmawati, Kabid PPA")
        status, task = run(progress, shell, tmp_path)
        assert status == 200, task
        assert (task["status"], task["percent"]) == ("in_progress", 60)
