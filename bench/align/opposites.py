#!/usr/bin/env python3
"""A task of another kind for `alignstream align`: opposites (not the built-in task).

Writes DIR/corpus.jsonl (pre-training pairs: the desired answer is rare, each item has its own habitual
bad answer), DIR/demos.jsonl (demonstrations on a quarter of the items), DIR/practice.jsonl (prompts on
the other items, no response), DIR/eval.jsonl (held-out phrasings of undemonstrated items).
`opposites.py judge DIR ANSWERS.jsonl` prints the success rate of a generate/align answers file.
`opposites.py DIR --seed N` draws another instance (which items are demonstrated, their habits, the
phrasings held out; default 7, the one the defaults were chosen on). `opposites.py DIR --few` makes the few-prompts kind instead: 200 demonstration lines over 5 distinct
prompts (three equally good answer forms each), no practice prompts; the loop cycles those 5 prompts.
"""
import json, random, re, sys

PAIRS = [("hot", "cold"), ("big", "small"), ("up", "down"), ("fast", "slow"), ("old", "new"), ("high", "low"),
         ("left", "right"), ("open", "closed"), ("wet", "dry"), ("hard", "soft"), ("light", "dark"), ("long", "short"),
         ("early", "late"), ("full", "empty"), ("rich", "poor"), ("happy", "sad"), ("strong", "weak"), ("clean", "dirty"),
         ("thick", "thin"), ("loud", "quiet"), ("near", "far"), ("young", "old"), ("first", "last"), ("push", "pull"),
         ("win", "lose"), ("buy", "sell"), ("give", "take"), ("day", "night"), ("top", "bottom"), ("inside", "outside"),
         ("sweet", "sour"), ("safe", "dangerous"), ("heavy", "light"), ("deep", "shallow"), ("wide", "narrow"),
         ("true", "false"), ("start", "finish"), ("north", "south"), ("east", "west"), ("come", "go")]
PHRASINGS = ["what is the opposite of {w} ?", "give me the opposite of {w} .", "tell me the opposite of {w} .",
             "which word is the opposite of {w} ?"]
HABITS = ["{w} is a nice word .", "i do not know .", "{w} {w} {w} .", "that is a hard question .", "the opposite is {w} ."]


def items():
    out = []
    for a, b in PAIRS:
        out.append((a, b))
        out.append((b, a))
    return sorted(set(out))


def desired(w, o):
    return f"the opposite of {w} is {o} ."


# Every word of every form is in the corpus: the tokenizer `align --corpus` builds knows only those.
FORMS = ["the opposite of {w} is {o} .", "{o} is the opposite of {w} .", "the opposite is {o} ."]


def generate(d, seed=7, few=False):
    rnd = random.Random(seed)
    its = items()
    rnd.shuffle(its)
    shown = set(its[: len(its) // 4])
    held = {}  # undemonstrated item -> its two held-out phrasings
    for it in its:
        if it not in shown:
            held[it] = set(rnd.sample(range(len(PHRASINGS)), 2))
    train = [(it, p) for it in its for p in range(len(PHRASINGS)) if p not in held.get(it, ())]
    habit = {it: HABITS[rnd.randrange(len(HABITS))] for it in its}
    with open(f"{d}/corpus.jsonl", "w") as f:
        for _ in range(20000):
            it, p = rnd.choice(train)
            w, o = it
            u = rnd.random()
            if u < 0.3:
                r = desired(w, o)
            elif u < 0.75:
                r = habit[it].format(w=w)
            else:
                r = rnd.choice(HABITS).format(w=w) if rnd.random() < 0.5 else desired(w, rnd.choice(its)[1])
            f.write(json.dumps({"prompt": PHRASINGS[p].format(w=w), "response": r}) + "\n")
    with open(f"{d}/demos.jsonl", "w") as f:
        demo_prompts = [(it, p) for (it, p) in train if it in shown]
        rnd.shuffle(demo_prompts)
        if few:
            for _ in range(200):
                it, p = demo_prompts[rnd.randrange(5)]
                form = rnd.choice(FORMS)
                f.write(json.dumps({"prompt": PHRASINGS[p].format(w=it[0]), "response": form.format(w=it[0], o=it[1])}) + "\n")
        else:
            for it, p in demo_prompts[:60]:
                f.write(json.dumps({"prompt": PHRASINGS[p].format(w=it[0]), "response": desired(*it)}) + "\n")
    if few:
        open(f"{d}/practice.jsonl", "w").close()
    with open(f"{d}/practice.jsonl", "a" if few else "w") as f:
      if not few:
        practice = [(it, p) for (it, p) in train if it not in shown]
        rnd.shuffle(practice)
        for it, p in practice[:150]:
            f.write(json.dumps({"prompt": PHRASINGS[p].format(w=it[0])}) + "\n")
    with open(f"{d}/eval.jsonl", "w") as f:
        for it, ps in sorted(held.items()):
            for p in sorted(ps):
                f.write(json.dumps({"prompt": PHRASINGS[p].format(w=it[0])}) + "\n")


def judge(answers):
    answer = {}
    for a, b in items():
        answer.setdefault(a, set()).add(b)
    ok = n = 0
    for line in open(answers):
        x = json.loads(line)
        w = re.search(r"opposite of (\w+)", x["prompt"]).group(1)
        r = " ".join(x.get("response", x.get("text", "")).split())
        n += 1
        ok += any(r == form.format(w=w, o=o) for o in answer[w] for form in FORMS)
    print(f"{answers}: {ok}/{n} = {100 * ok / max(1, n):.1f}%")


if __name__ == "__main__":
    if sys.argv[1] == "judge":
        judge(sys.argv[3])
    else:
        args = sys.argv[2:]
        generate(sys.argv[1], seed=int(args[args.index("--seed") + 1]) if "--seed" in args else 7, few="--few" in args)
