from verity.store import Store


def test_init_then_log_and_reconcile(cli, db_path):
    assert cli("init").exit_code == 0
    assert cli("source", "add", "TTP spokesman", "--affiliation", "TTP").exit_code == 0
    result = cli("claim", "add", "Mufti Khalid Balti was killed", "--key", "balti-was-killed")
    assert result.exit_code == 0
    assert result.stdout == "balti-was-killed\n"
    result = cli("stance", "add", "balti-was-killed", "ttp spokesman", "affirms")
    assert result.stdout == "1\n"
    with Store.open(db_path) as store:
        (r,) = store.reconciliations()
    assert r.verdict == "single-source"
