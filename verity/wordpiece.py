"""BERT's uncased WordPiece tokenizer: a text as the token ids the model of meaning reads.

Written from the published algorithm (BERT's BasicTokenizer, then greedy longest-match
WordPiece) so that `verity.meaning` needs no tokenizer library: a text is cleaned of
control characters, lower-cased, stripped of accents and split at white space and
punctuation; each word is then cut into the longest pieces the vocabulary holds, a
continuation marked "##", and a word that cannot be cut is the unknown token.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

__all__ = ["WordPiece"]

# A word longer than this is the unknown token, as in BERT's tokenizer.
LONGEST_WORD = 100


def _is_punctuation(char: str) -> bool:
    # BERT counts every non-alphanumeric ASCII character as punctuation ("$", "^", "`" too).
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


class WordPiece:
    """The tokenizer of one vocabulary file (one piece a line, its id its line number)."""

    def __init__(self, vocabulary: Path) -> None:
        lines = Path(vocabulary).read_text(encoding="utf-8").splitlines()
        self.vocabulary = {piece: number for number, piece in enumerate(lines)}
        self.unknown = self.vocabulary["[UNK]"]
        self.first = self.vocabulary["[CLS]"]
        self.last = self.vocabulary["[SEP]"]

    def words(self, text: str) -> list[str]:
        """BERT's basic tokenizer: the text's words and punctuation marks, lower-cased, unaccented."""
        spaced = []
        for char in text:
            code = ord(char)
            # BERT drops every "other" character (control, format, private use, unassigned).
            if code == 0 or code == 0xFFFD or (unicodedata.category(char).startswith("C") and char not in "\t\n\r"):
                continue
            if _is_cjk(code):
                spaced.append(f" {char} ")
            else:
                spaced.append(" " if char.isspace() else char)
        words = []
        for token in "".join(spaced).lower().split():
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
            current = []
            for char in token:
                if _is_punctuation(char):
                    if current:
                        words.append("".join(current))
                        current = []
                    words.append(char)
                else:
                    current.append(char)
            if current:
                words.append("".join(current))
        return words

    def pieces(self, word: str) -> list[int]:
        """One word's pieces, longest first; the unknown token for a word that cannot be cut."""
        if len(word) > LONGEST_WORD:
            return [self.unknown]
        found, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocabulary:
                    found.append(self.vocabulary[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return found

    def ids(self, text: str, longest: int) -> list[int]:
        """The text's token ids between the first and last markers, at most `longest` in all."""
        ids = [self.first]
        for word in self.words(text):
            ids.extend(self.pieces(word))
            if len(ids) >= longest - 1:
                break
        return ids[:longest - 1] + [self.last]
