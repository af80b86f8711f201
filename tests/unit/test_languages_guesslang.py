"""The guesslang fallback: content-only answers for files go-enry leaves without a language."""

import pytest

from codecurate.text import guesslang_compat
from codecurate.text import languages as L

try:
    guesslang_compat.check_importable()
except guesslang_compat.GuesslangUnavailableError as err:  # pragma: no cover
    pytest.skip(f"guesslang extra not installed (`make setup` installs it): {err}", allow_module_level=True)

PYTHON = '''import argparse
import json
from pathlib import Path


class Inventory:
    def __init__(self, path):
        self.path = Path(path)
        self.items = {}

    def load(self):
        with self.path.open() as handle:
            self.items = json.load(handle)
        return self

    def total(self):
        return sum(item["price"] * item["count"] for item in self.items.values())


def main():
    parser = argparse.ArgumentParser(description="Sum an inventory file")
    parser.add_argument("path")
    args = parser.parse_args()
    inventory = Inventory(args.path).load()
    print(f"total: {inventory.total():.2f}")


if __name__ == "__main__":
    main()
'''

C_SOURCE = '''#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    char *key;
    int value;
    struct node *next;
};

static struct node *push(struct node *head, const char *key, int value)
{
    struct node *n = malloc(sizeof(*n));
    if (n == NULL) {
        perror("malloc");
        exit(EXIT_FAILURE);
    }
    n->key = strdup(key);
    n->value = value;
    n->next = head;
    return n;
}

int main(int argc, char **argv)
{
    struct node *head = NULL;
    for (int i = 1; i < argc; i++) {
        head = push(head, argv[i], i);
    }
    for (struct node *n = head; n != NULL; n = n->next) {
        printf("%s=%d\\n", n->key, n->value);
    }
    return 0;
}
'''

JAVA = '''package com.example.inventory;

import java.util.ArrayList;
import java.util.List;

public class Inventory {
    private final List<Item> items = new ArrayList<>();

    public void add(Item item) {
        items.add(item);
    }

    public double total() {
        double sum = 0.0;
        for (Item item : items) {
            sum += item.getPrice() * item.getCount();
        }
        return sum;
    }

    public static void main(String[] args) {
        Inventory inventory = new Inventory();
        inventory.add(new Item("apple", 0.5, 10));
        System.out.println("total: " + inventory.total());
    }
}
'''

GO = '''package main

import (
	"fmt"
	"net/http"
	"os"
)

type server struct {
	name string
}

func (s *server) hello(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello from %s\\n", s.name)
}

func main() {
	s := &server{name: os.Getenv("NAME")}
	http.HandleFunc("/", s.hello)
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
'''

# (extensionless path, content, expected Linguist language), expected values written by hand
SNIPPETS = [
    ("tools/inventory", PYTHON, "Python"),
    ("src/listdemo", C_SOURCE, "C"),
    ("src/Inventory", JAVA, "Java"),
    ("cmd/hello", GO, "Go"),
]


def test_guesslang_classifies_extensionless_files():
    paths = [s[0] for s in SNIPPETS]
    contents = [s[1] for s in SNIPPETS]
    # go-enry has no answer for any of them: that is what the fallback is for
    assert [d.language for d in L.detect_batch(paths, contents)] == [None] * len(SNIPPETS)
    found = L.detect_batch(paths, contents, fallback="guesslang", min_fallback_chars=64)
    assert [(d.language, d.detector) for d in found] == [(s[2], "guesslang") for s in SNIPPETS]


def test_enry_answers_are_not_second_guessed():
    found = L.detect_batch(["tools/inventory.rb"], [PYTHON], fallback="guesslang")
    # Linguist is sure from the extension: guesslang (which would say Python) is not asked
    assert [(d.language, d.detector) for d in found] == [("Ruby", "enry")]


def test_short_text_stays_unknown():
    found = L.detect_batch(["notes/todo"], ["hello world"], fallback="guesslang", min_fallback_chars=64)
    assert [(d.language, d.detector) for d in found] == [(None, None)]


def test_guesslang_only_breaks_ties_inside_enry_candidates():
    # A MATLAB-looking .m file Linguist cannot place: classifier candidates include MATLAB
    content = "\n".join(
        f"x{i} = linspace(0, {i}, 100);\ny{i} = sin(x{i}) .* cos(x{i});\nplot(x{i}, y{i});" for i in range(8)
    ) + "\n"
    language, candidates = L.enry_language("plots.m", content.encode())
    assert "MATLAB" in candidates
    (found,) = L.detect_batch(["plots.m"], [content], fallback="guesslang")
    assert (found.language, found.detector) == ("MATLAB", "guesslang")
    # Python source in a .m file: guesslang says Python, which Linguist ruled out for .m, so
    # the classifier's first candidate stands
    language, candidates = L.enry_language("x.m", PYTHON.encode())
    assert "Python" not in candidates
    (found,) = L.detect_batch(["x.m"], [PYTHON], fallback="guesslang")
    assert (found.language, found.detector) == (candidates[0], "enry")


def test_versions_name_guesslang_and_tensorflow():
    versions = L.detector_versions("guesslang")
    assert versions["guesslang"] == "2.2.1"
    assert versions["tensorflow-cpu"] == "2.21.0"


def test_missing_guesslang_is_a_clear_error(monkeypatch):
    from importlib import metadata

    real = metadata.version

    def version(dist):
        if dist == "guesslang":
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.raises(guesslang_compat.GuesslangUnavailableError, match="make setup"):
        L.check_available("guesslang")
