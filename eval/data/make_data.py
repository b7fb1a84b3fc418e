#!/usr/bin/env python3
"""Generate qsteer's experiment data: contrast pairs, prompts and emotion lexicons.

    python3 eval/data/make_data.py [--seed 20260103] [--n-pairs 800] [--out eval/data] [--samples 3]

Standard library only; the output is a pure function of --seed and --n-pairs
(random.Random seeded with a string, no hash-order or time dependence).
Writes, under --out:
    pairs/<emotion>.jsonl     {"positive": ..., "negative": ...} per line
    prompts/scenario.jsonl    {"text": ...}, 8 emotionally open situations
    prompts/narrative.jsonl   {"text": ...}, 8 story openings
    lexicons/<emotion>.json   {"emotion": ..., "words": [...]}
See eval/data/README.md for how each part is built.

How a pair is built: a frame (sentence pattern) is filled with a subject, a
situation and a connective; exactly one slot of the frame is left open and is
filled once from an emotional phrase and once from its hand-written neutral
counterpart (same grammatical role, similar length). The two sentences are the
same string outside that slot, by construction (the frame is rendered once
with a placeholder), and the generator checks that:
  - no sentence repeats within a file (positive or negative side);
  - a negative contains no word of any of the four lexicons;
  - a positive contains no word of another emotion's lexicon.
"""
import argparse
import json
import os
import random
import re
import sys

EMOTIONS = ["fear", "curiosity", "anger", "joy"]
DEFAULT_SEED = 20260103

# ============================================================================
# Lexicons: hand-picked seed words by part of speech, expanded by inflection
# rules, then hand-reviewed (the `extra` and `exclude` lists hold the review).
# ============================================================================

IRREGULAR = {  # verb: (3sg, past, -ing)
    "panic": ("panics", "panicked", "panicking"),
    "frolic": ("frolics", "frolicked", "frolicking"),
    "beam": ("beams", "beamed", "beaming"),
    "grin": ("grins", "grinned", "grinning"),
    "be": ("is", "was", "being"),
}


def verb_forms(v):
    if v in IRREGULAR:
        return [v, *IRREGULAR[v]]
    if re.search(r"(s|sh|ch|x|z)$", v):
        s3 = v + "es"
    elif re.search(r"[^aeiou]y$", v):
        s3 = v[:-1] + "ies"
    else:
        s3 = v + "s"
    if v.endswith("ee"):
        past, ing = v + "d", v + "ing"
    elif v.endswith("e"):
        past, ing = v + "d", v[:-1] + "ing"
    elif re.search(r"[^aeiou]y$", v):
        past, ing = v[:-1] + "ied", v + "ing"
    else:
        past, ing = v + "ed", v + "ing"
    return [v, s3, past, ing]


def adverb(a):
    if a.endswith("y") and not a.endswith("ly"):
        return a[:-1] + "ily"
    if a.endswith("ic"):
        return a + "ally"
    if re.search(r"[^aeiou]le$", a):
        return a[:-1] + "y"
    return a + "ly"


def plural(n):
    if re.search(r"(s|sh|ch|x|z)$", n):
        return n + "es"
    if re.search(r"[^aeiou]y$", n):
        return n[:-1] + "ies"
    return n + "s"


LEXICON_SEEDS = {
    "fear": {
        # verb -> base, 3sg, past, -ing
        "verbs": ["fear", "scare", "terrify", "frighten", "panic", "dread", "horrify", "worry", "cower", "flee",
                  "shudder", "startle", "intimidate"],
        # adjective -> itself and its -ly adverb
        "adjectives": ["fearful", "anxious", "nervous", "frantic", "helpless", "uneasy", "apprehensive", "timid",
                       "ominous"],
        "adjectives_plain": ["afraid", "eerie", "eerily", "scary", "scarier", "scariest", "terrified", "frightened", "horrified",
                             "petrified", "panicky", "alarmed", "jittery", "jumpy", "spooked", "spooky", "creepy",
                             "aghast", "paranoid", "dangerous", "nightmarish", "phobic", "menacing", "terrifying",
                             "frightening", "horrifying"],
        # noun -> singular and plural
        "nouns": ["fear", "terror", "panic", "dread", "fright", "horror", "anxiety", "nightmare", "phobia", "danger",
                  "menace", "threat"],
        "nouns_mass": ["fearfulness", "nervousness", "unease", "apprehension", "trepidation", "paranoia",
                       "foreboding"],
        "extra": ["fled", "terrifyingly", "frighteningly", "horrifyingly", "scarily", "dreadfully"],
        # review: 'flee'->'fleed'/'fleeing' rule output is wrong or ambiguous; 'fearless' and its
        # adverb mean the opposite; 'dreadful' is mostly "very bad"; threat forms overlap with anger.
        "exclude": ["fleed", "flees", "threat", "threats", "startles", "intimidates",
                    "menaces", "panicks", "dreadfully", "cowers", "shudders", "horrifies"],
    },
    "curiosity": {
        "verbs": ["wonder", "intrigue", "fascinate", "explore", "investigate", "ponder", "puzzle", "discover",
                  "inquire", "enquire", "probe", "speculate", "peek", "marvel", "question", "examine", "snoop"],
        "adjectives": ["curious", "inquisitive", "mysterious", "intriguing", "fascinating", "interested",
                       "questioning", "eager", "nosy"],
        "adjectives_plain": ["interesting", "intrigued", "fascinated", "puzzled", "puzzling", "captivated",
                             "captivating", "engrossed", "riveted", "tantalizing", "nosey", "baffled", "baffling",
                             "unexplained", "exploratory"],
        "nouns": ["curiosity", "mystery", "question", "discovery", "puzzle", "riddle", "clue", "inquiry", "enquiry",
                  "exploration", "investigation", "explorer", "fascination", "interest", "marvel"],
        "nouns_mass": ["inquisitiveness", "intrigue"],
        "extra": ["wonderment"],
        # review: 'interestedly', 'questioningly'-style adverbs are rare but fine; 'eager(ly)' reads as
        # joy as often as curiosity, and 'marvel' as awe, so they go; 'interests' is mostly money/hobbies.
        "exclude": ["eager", "eagerly", "marvel", "marvels", "marveled", "marveling", "interests", "interestedly",
                    "questioningly", "intriguingly", "fascinatingly", "puzzles", "probes", "snoops", "peeks",
                    "nosily", "ponders", "enquires", "enquiries", "enquiry", "intrigues"],
    },
    "anger": {
        "verbs": ["anger", "rage", "infuriate", "enrage", "irritate", "annoy", "resent", "hate", "seethe", "fume",
                  "scowl", "glare", "curse", "outrage", "snarl", "bristle", "aggravate", "despise", "loathe"],
        "adjectives": ["angry", "furious", "resentful", "indignant", "spiteful", "vengeful", "bitter",
                       "irritable", "wrathful"],
        "adjectives_plain": ["hostile", "mad", "livid", "irate", "enraged", "infuriated", "infuriating", "irritated",
                             "irritating", "annoyed", "annoying", "outraged", "outrageous", "exasperated",
                             "exasperating", "incensed", "frustrated", "frustrating", "aggravated", "irked", "vexed",
                             "peeved", "cranky", "grumpy", "angrier", "angriest", "hateful"],
        "nouns": ["anger", "rage", "fury", "outrage", "grudge", "resentment", "annoyance", "irritation",
                  "frustration", "tantrum"],
        "nouns_mass": ["hatred", "hostility", "indignation", "exasperation", "wrath", "spite", "vengeance",
                       "revenge", "bitterness", "temper"],
        "extra": ["furiously"],
        # review: 'bitter' is taste as often as feeling; 'rages' and 'fumes' are also nouns/verbs of
        # weather and smoke; 'curse' forms read as magic; 'hate' stays (strong anger marker).
        "exclude": ["bitter", "bitterly", "fume", "fumes", "curse", "curses", "cursed", "cursing", "irritably",
                    "outrages", "furies", "bristles", "aggravates", "aggravate", "despises", "loathes", "seethes", "snarls",
                    "glares", "scowls", "wrathfully", "enrages", "infuriates", "irritates"],
    },
    "joy": {
        "verbs": ["delight", "cheer", "rejoice", "celebrate", "smile", "laugh", "grin", "beam", "enjoy", "thrill",
                  "exult"],
        "adjectives": ["joyful", "joyous", "happy", "glad", "cheerful", "blissful", "gleeful", "merry", "jubilant",
                       "ecstatic", "euphoric", "elated", "delightful", "wonderful", "grateful"],
        "adjectives_plain": ["happier", "happiest", "delighted", "thrilled", "overjoyed", "pleased", "giddy",
                             "radiant", "cheery", "jolly", "upbeat", "joyless", "excited", "exciting", "exhilarated",
                             "exhilarating", "contented", "carefree", "triumphant"],
        "nouns": ["joy", "delight", "pleasure", "celebration", "smile", "laugh", "grin", "thrill"],
        "nouns_mass": ["happiness", "gladness", "bliss", "glee", "elation", "euphoria", "ecstasy", "jubilation",
                       "laughter", "excitement", "merriment", "gratitude", "exhilaration", "enjoyment"],
        "extra": ["hooray", "yay", "excitedly", "merrily"],
        # review: 'joyless' is the opposite; 'elatedly', 'euphorically' are not in use; 'celebrated'
        # also means famous (kept: it is mostly the verb in generated stories).
        "exclude": ["joyless", "elatedly", "euphorically", "exults", "joyously", "delightfully", "wonderfully",
                    "gratefully",
                    "thrills", "ecstaticly", "grins", "beams", "delights"],
    },
}


def build_lexicon(seeds):
    words = set()
    for v in seeds.get("verbs", []):
        words.update(verb_forms(v))
    for a in seeds.get("adjectives", []):
        words.update([a, adverb(a)])
    words.update(seeds.get("adjectives_plain", []))
    for n in seeds.get("nouns", []):
        words.update([n, plural(n)])
    words.update(seeds.get("nouns_mass", []))
    words.update(seeds.get("extra", []))
    words -= set(seeds.get("exclude", []))
    return sorted(words)


def build_lexicons():
    lex = {e: build_lexicon(LEXICON_SEEDS[e]) for e in EMOTIONS}
    for i, a in enumerate(EMOTIONS):  # a word belongs to one emotion only
        for b in EMOTIONS[i + 1:]:
            both = set(lex[a]) & set(lex[b])
            if both:
                sys.exit(f"lexicon overlap {a}/{b}: {sorted(both)}")
    for e, ws in lex.items():
        for w in ws:
            if not re.fullmatch(r"[a-z]+(?:'[a-z]+)*", w):
                sys.exit(f"lexicon {e}: {w!r} is not a lowercase single word")
        if not 60 <= len(ws) <= 150:
            sys.exit(f"lexicon {e}: {len(ws)} words, want 60-150")
    return lex


WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019](?=[^\W\d_]))*")


def words_of(text):
    """The C counter's word rule (eval/lexicon.h), less combining marks."""
    return [w.lower().replace("\u2019", "'") for w in WORD_RE.findall(text)]


def markers(text, lexset):
    n = 0
    for w in words_of(text):
        if w in lexset or (w.endswith("'s") and w[:-2] in lexset):
            n += 1
    return n


# ============================================================================
# Pairs
# ============================================================================

# Subjects: text in mid-sentence form, possessive, object, be past/present,
# and whether the present tense takes -s.
def _subj(text, pos, obj, be_past, be_pres, s3, noun=None):
    """noun: how frames name the subject as an object ("I saw Maria ..."); obj
    is the pronoun situations use ("the door opened behind her")."""
    return {"s": text, "pos": pos, "obj": obj, "O": noun or obj, "was": be_past, "is": be_pres, "s3": s3}


NAMES = [("Maria", "her"), ("Tom", "his"), ("Aisha", "her"), ("Kenji", "his"), ("Elena", "her"), ("David", "his"),
         ("Priya", "her"), ("Omar", "his"), ("Grace", "her"), ("Lucas", "his"), ("Mei", "her"), ("Samuel", "his"),
         ("Fatima", "her"), ("Jonas", "his"), ("Rosa", "her"), ("Daniel", "his"), ("Amara", "her"),
         ("Victor", "his"), ("Hannah", "her"), ("Leo", "his"), ("Nadia", "her"), ("Ben", "his"), ("Ines", "her"),
         ("Tariq", "his"), ("Olga", "her"), ("Mateo", "his"), ("Chloe", "her"), ("Kwame", "his")]
ROLES = [("the nurse", "her"), ("my sister", "her"), ("our neighbor", "his"), ("the old fisherman", "his"),
         ("the new teacher", "her"), ("the young pilot", "his"), ("my grandfather", "his"),
         ("the night guard", "his"), ("the student", "her"), ("the shopkeeper", "his"), ("my roommate", "her"),
         ("the driver", "his"), ("the librarian", "her"), ("her brother", "his"), ("the tourist", "her"),
         ("the engineer", "his"), ("my aunt", "her"), ("the boy", "his"), ("the girl", "her"),
         ("the farmer", "his")]
OBJ_OF = {"his": "him", "her": "her"}
SUBJECTS = ([_subj(n, p, OBJ_OF[p], "was", "is", True, n) for n, p in NAMES]
            + [_subj(r, p, OBJ_OF[p], "was", "is", True, r) for r, p in ROLES]
            + [_subj("I", "my", "me", "was", "am", False), _subj("I", "my", "me", "was", "am", False),
               _subj("you", "your", "you", "were", "are", False), _subj("he", "his", "him", "was", "is", True),
               _subj("she", "her", "her", "was", "is", True), _subj("we", "our", "us", "were", "are", False),
               _subj("they", "their", "them", "were", "are", False), _subj("she", "her", "her", "was", "is", True),
               _subj("he", "his", "him", "was", "is", True)])
ROLE_NOUNS = ["nurse", "pilot", "teacher", "fisherman", "night guard", "student", "shopkeeper", "driver",
              "librarian", "tourist", "engineer", "farmer", "baker", "sailor", "doctor", "painter", "mechanic",
              "waiter", "gardener", "musician"]

PAST_IRREG = {"freeze": "froze", "shake": "shook", "feel": "felt", "hold": "held", "stand": "stood",
              "take": "took", "grow": "grew", "run": "ran", "sit": "sat", "make": "made", "go": "went",
              "put": "put", "keep": "kept", "read": "read", "write": "wrote", "leave": "left", "find": "found",
              "get": "got", "have": "had", "give": "gave", "begin": "began", "break": "broke", "lie": "lay",
              "shrink": "shrank", "hide": "hid", "grin": "grinned", "stop": "stopped", "nod": "nodded",
              "clap": "clapped", "hum": "hummed", "step": "stepped", "drop": "dropped", "slam": "slammed",
              "snap": "snapped", "grip": "gripped", "spin": "spun", "let": "let", "set": "set", "sing": "sang",
              "throw": "threw", "bite": "bit", "tell": "told", "say": "said", "come": "came", "lean": "leaned",
              "swing": "swung", "shut": "shut", "dance": "danced", "spend": "spent", "bring": "brought",
              "jump": "jumped", "tap": "tapped", "pat": "patted", "jot": "jotted", "plan": "planned",
              "hug": "hugged", "wave": "waved", "light": "lit", "fling": "flung", "panic": "panicked",
              "pay": "paid", "dig": "dug", "grit": "gritted", "lose": "lost", "tear": "tore", "drink": "drank",
              "rub": "rubbed", "speak": "spoke"}


def conj(verb, form):
    """form: base | past | s3 | ing."""
    if form == "base":
        return verb
    if form == "past":
        if verb in PAST_IRREG:
            return PAST_IRREG[verb]
        if verb.endswith("e"):
            return verb + "d"
        if re.search(r"[^aeiou]y$", verb):
            return verb[:-1] + "ied"
        return verb + "ed"
    if form == "s3":
        if verb == "have":
            return "has"
        if re.search(r"(s|sh|ch|x|z|o)$", verb):
            return verb + "es"
        if re.search(r"[^aeiou]y$", verb):
            return verb[:-1] + "ies"
        return verb + "s"
    raise ValueError(form)


# Situations shared by every emotion: (past clause, present clause). {pos} and
# {obj} refer to the sentence's subject.
GENERAL_SITUATIONS = [
    ("the train stopped between two stations", "the train stops between two stations"),
    ("the letter from the bank arrived", "a letter from the bank arrives"),
    ("the doctor called {pos} name", "the doctor calls {pos} name"),
    ("the results were posted online", "the results are posted online"),
    ("the door opened behind {obj}", "the door opens behind {obj}"),
    ("{pos} phone buzzed on the table", "{pos} phone buzzes on the table"),
    ("the plane began its descent", "the plane begins its descent"),
    ("the crowd went quiet", "the crowd goes quiet"),
    ("the manager walked into the office", "the manager walks into the office"),
    ("the power went out across the block", "the power goes out across the block"),
    ("{pos} name was read out in class", "{pos} name is read out in class"),
    ("the storm reached the coast", "the storm reaches the coast"),
    ("the dog started barking outside", "the dog starts barking outside"),
    ("the teacher handed back the exams", "the teacher hands back the exams"),
    ("a stranger knocked on the door", "a stranger knocks on the door"),
    ("the ship left the harbor", "the ship leaves the harbor"),
    ("the bell rang for the last time", "the bell rings for the last time"),
    ("the box was opened at last", "the box is opened at last"),
    ("the envelope slid under the door", "an envelope slides under the door"),
    ("the radio cut to a special report", "the radio cuts to a special report"),
    ("the elevator doors opened on the top floor", "the elevator doors open on the top floor"),
    ("{pos} landlord sent a short message", "{pos} landlord sends a short message"),
    ("the judge read the verdict", "the judge reads the verdict"),
    ("the lights in the hall flickered", "the lights in the hall flicker"),
    ("the car turned into the driveway", "a car turns into the driveway"),
    ("the phone rang in the empty house", "the phone rings in the empty house"),
    ("the package was left on the porch", "a package is left on the porch"),
    ("the last bus pulled into the station", "the last bus pulls into the station"),
]

SITUATIONS = {
    "fear": [
        ("footsteps followed {obj} down the empty street", "footsteps follow {obj} down the empty street"),
        ("something moved in the dark basement", "something moves in the dark basement"),
        ("the elevator jolted and stopped between floors", "the elevator jolts and stops between floors"),
        ("the smoke detector went off at three in the morning", "the smoke detector goes off at three in the morning"),
        ("the car skidded on the icy bridge", "the car skids on the icy bridge"),
        ("a shadow passed across the window", "a shadow passes across the window"),
        ("the ground began to shake", "the ground begins to shake"),
        ("the plane dropped suddenly in the turbulence", "the plane drops suddenly in the turbulence"),
        ("a stranger kept staring at {obj} on the platform", "a stranger keeps staring at {obj} on the platform"),
        ("a dog growled somewhere in the dark yard", "a dog growls somewhere in the dark yard"),
        ("the rope started to slip through {pos} hands", "the rope starts to slip through {pos} hands"),
        ("the doctor asked {obj} to sit down", "the doctor asks {obj} to sit down"),
        ("the water kept rising around the car", "the water keeps rising around the car"),
        ("the ice cracked under {pos} feet", "the ice cracks under {pos} feet"),
        ("a scream came from the woods", "a scream comes from the woods"),
        ("the brakes stopped working on the hill", "the brakes stop working on the hill"),
        ("the door handle turned slowly in the night", "the door handle turns slowly in the night"),
        ("the lights went out in the old house", "the lights go out in the old house"),
        ("the boat began to take on water", "the boat begins to take on water"),
        ("a voice whispered {pos} name in the dark", "a voice whispers {pos} name in the dark"),
        ("the sirens started to wail across the city", "the sirens start to wail across the city"),
        ("the cliff edge crumbled under {pos} boots", "the cliff edge crumbles under {pos} boots"),
        ("a figure appeared at the end of the corridor", "a figure appears at the end of the corridor"),
        ("the windows rattled in the howling wind", "the windows rattle in the howling wind"),
        ("the trail vanished in the thick fog", "the trail vanishes in the thick fog"),
        ("the masked man stepped out of the alley", "a masked man steps out of the alley"),
        ("the floor creaked in the empty room upstairs", "the floor creaks in the empty room upstairs"),
        ("the test came back with unclear results", "the test comes back with unclear results"),
    ],
    "curiosity": [
        ("a sealed box appeared on the doorstep", "a sealed box appears on the doorstep"),
        ("the old map showed a road that no longer existed", "the old map shows a road that no longer exists"),
        ("a strange light blinked on the hill", "a strange light blinks on the hill"),
        ("the professor mentioned a lost manuscript", "the professor mentions a lost manuscript"),
        ("a locked door turned up in the cellar", "a locked door turns up in the cellar"),
        ("the radio picked up an unknown signal", "the radio picks up an unknown signal"),
        ("the telescope showed a faint new spot in the sky", "the telescope shows a faint new spot in the sky"),
        ("the stranger spoke a language nobody recognized", "a stranger speaks a language nobody recognizes"),
        ("a note fell out of the library book", "a note falls out of the library book"),
        ("the machine started making an odd humming sound", "the machine starts making an odd humming sound"),
        ("the fossil turned out to have an unusual shape", "a fossil turns out to have an unusual shape"),
        ("the attic trunk held letters in a strange code", "the attic trunk holds letters in a strange code"),
        ("the neighbor began digging in the garden at night", "the neighbor begins digging in the garden at night"),
        ("a bird with bright blue feathers landed on the sill", "a bird with bright blue feathers lands on the sill"),
        ("the guide pointed to a cave behind the waterfall", "the guide points to a cave behind the waterfall"),
        ("the old clock started ticking backwards", "the old clock starts ticking backwards"),
        ("the chemist added the last drop to the beaker", "the chemist adds the last drop to the beaker"),
        ("a package arrived with no return address", "a package arrives with no return address"),
        ("the museum opened a room that had been closed for years", "the museum opens a room that has been closed for years"),
        ("the tide revealed a path to the island", "the tide reveals a path to the island"),
        ("the stranger left a small key on the table", "a stranger leaves a small key on the table"),
        ("the sky turned green just before the storm", "the sky turns green just before the storm"),
        ("the robot in the shop window waved at {obj}", "the robot in the shop window waves at {obj}"),
        ("a second moon seemed to rise over the lake", "a second moon seems to rise over the lake"),
        ("the photograph showed a house that was not there anymore", "the photograph shows a house that is not there anymore"),
        ("the seeds sprouted into a plant nobody could name", "the seeds sprout into a plant nobody can name"),
        ("the footprints in the snow stopped in the middle of the field", "the footprints in the snow stop in the middle of the field"),
        ("the old computer displayed a hidden folder", "the old computer displays a hidden folder"),
    ],
    "anger": [
        ("the neighbor parked across {pos} driveway again", "the neighbor parks across {pos} driveway again"),
        ("the landlord kept the deposit without a reason", "the landlord keeps the deposit without a reason"),
        ("a coworker took credit for {pos} work", "a coworker takes credit for {pos} work"),
        ("the airline lost {pos} luggage a second time", "the airline loses {pos} luggage a second time"),
        ("someone cut in line at the counter", "someone cuts in line at the counter"),
        ("the referee ignored the obvious foul", "the referee ignores the obvious foul"),
        ("the repairman left without fixing anything", "the repairman leaves without fixing anything"),
        ("the bank charged another hidden fee", "the bank charges another hidden fee"),
        ("the bus driver closed the door in {pos} face", "the bus driver closes the door in {pos} face"),
        ("the manager blamed {obj} for the mistake", "the manager blames {obj} for the mistake"),
        ("the company canceled the order without notice", "the company cancels the order without notice"),
        ("the kids next door smashed the fence again", "the kids next door smash the fence again"),
        ("the contractor doubled the price halfway through", "the contractor doubles the price halfway through"),
        ("someone scratched the side of {pos} new car", "someone scratches the side of {pos} new car"),
        ("the council approved the plan behind closed doors", "the council approves the plan behind closed doors"),
        ("the call center put {obj} on hold for two hours", "the call center puts {obj} on hold for two hours"),
        ("{pos} roommate ate the food {pos} mother had sent", "{pos} roommate eats the food {pos} mother sends"),
        ("the driver behind {obj} kept honking at the red light", "the driver behind {obj} keeps honking at the red light"),
        ("the teacher gave the prize to the copied essay", "the teacher gives the prize to the copied essay"),
        ("the factory dumped waste into the river again", "the factory dumps waste into the river again"),
        ("the clerk lost the forms for the third time", "the clerk loses the forms for the third time"),
        ("the politician broke the promise on live television", "the politician breaks the promise on live television"),
        ("a stranger kicked the small dog in the park", "a stranger kicks the small dog in the park"),
        ("the hotel gave the room to someone else", "the hotel gives the room to someone else"),
        ("the partner read {pos} private messages", "a partner reads {pos} private messages"),
        ("the company laid off the staff by email", "the company lays off the staff by email"),
        ("the guests left the kitchen covered in trash", "the guests leave the kitchen covered in trash"),
        ("the insurer refused to pay for the damage", "the insurer refuses to pay for the damage"),
    ],
    "joy": [
        ("the acceptance letter arrived", "the acceptance letter arrives"),
        ("{pos} daughter took her first steps", "{pos} daughter takes her first steps"),
        ("the team scored in the final minute", "the team scores in the final minute"),
        ("an old friend walked through the door", "an old friend walks through the door"),
        ("the test results came back clear", "the test results come back clear"),
        ("the baby was born healthy", "the baby is born healthy"),
        ("the band played {pos} favorite song", "the band plays {pos} favorite song"),
        ("the sun came out on the wedding day", "the sun comes out on the wedding day"),
        ("the puppy ran across the yard to meet {obj}", "the puppy runs across the yard to meet {obj}"),
        ("the job offer finally came through", "the job offer finally comes through"),
        ("the whole family gathered for the holidays", "the whole family gathers for the holidays"),
        ("the first snow fell on the village", "the first snow falls on the village"),
        ("{pos} grandmother came home from the hospital", "{pos} grandmother comes home from the hospital"),
        ("the lost cat came back after a week", "the lost cat comes back after a week"),
        ("the judges announced {pos} name as the winner", "the judges announce {pos} name as the winner"),
        ("the garden burst into bloom", "the garden bursts into bloom"),
        ("the plane landed and {pos} son ran to the gate", "the plane lands and {pos} son runs to the gate"),
        ("the children opened their presents", "the children open their presents"),
        ("the loan was finally paid off", "the loan is finally paid off"),
        ("the choir sang the last chorus", "the choir sings the last chorus"),
        ("{pos} brother proposed on the beach", "{pos} brother proposes on the beach"),
        ("the fireworks lit up the harbor", "the fireworks light up the harbor"),
        ("the scholarship was approved", "the scholarship is approved"),
        ("the first book came back from the printer", "the first book comes back from the printer"),
        ("the old dog wagged its tail at the door", "the old dog wags its tail at the door"),
        ("the long trip ended at {pos} parents' house", "the long trip ends at {pos} parents' house"),
        ("the crowd called {obj} back for an encore", "the crowd calls {obj} back for an encore"),
        ("the rain stopped just in time for the picnic", "the rain stops just in time for the picnic"),
    ],
}

CONJ_PAST = ["when", "as soon as", "after", "the moment", "just after", "once"]
CONJ_PRES = ["whenever", "every time", "when", "each time"]

# Slot phrases: (emotional, neutral). VP = "verb|rest" (rest may use {pos});
# ADJ follows a form of "be"; NP follows "felt"; ADV follows an action;
# UTT is a quoted utterance (no final punctuation).
PHRASES = {
    "fear": {
        "VP": [
            ("freeze| in terror", "stop| near the door"),
            ("shake| with fear", "lean| against the wall"),
            ("feel| {pos} heart pound with dread", "feel| {pos} phone buzz in {pos} pocket"),
            ("panic|", "nod|"),
            ("back| away in fright", "step| aside for a moment"),
            ("grip| the railing in panic", "grip| the railing for balance"),
            ("hold| {pos} breath in fear", "hold| {pos} coffee in one hand"),
            ("run| from the room in terror", "walk| from the room to the hall"),
            ("tremble| with dread", "wait| by the window"),
            ("clutch| {pos} bag in fear", "carry| {pos} bag in one hand"),
            ("go| pale with fear", "go| back to the kitchen"),
            ("cower| in the corner", "sit| in the corner"),
            ("fear| for {pos} life", "pay| for {pos} lunch"),
            ("lie| awake, terrified", "lie| awake, reading"),
            ("flinch| in fright", "glance| at the clock"),
            ("scream| in horror", "speak| in a low voice"),
            ("hide| under the table, petrified", "wait| near the table, yawning"),
            ("feel| sick with dread", "feel| ready for dinner"),
            ("start| to panic", "start| to pack"),
            ("shrink| back in terror", "turn| back to the desk"),
            ("fear| the worst", "expect| the usual"),
        ],
        "ADJ": [
            ("terrified", "seated"),
            ("scared stiff", "fully dressed"),
            ("frightened", "outside"),
            ("afraid to move", "about to leave"),
            ("petrified", "upstairs"),
            ("filled with dread", "busy with paperwork"),
            ("too scared to speak", "too busy to talk"),
            ("anxious and shaking", "awake and dressed"),
            ("nervous", "early"),
            ("horrified", "indoors"),
            ("sick with fear", "back at home"),
            ("frozen with terror", "sitting at the desk"),
            ("worried", "downstairs"),
            ("uneasy", "awake"),
            ("scared out of {pos} wits", "halfway through {pos} lunch"),
            ("afraid", "at work"),
            ("panicked", "nearby"),
        ],
        "NP": [
            ("a wave of fear", "a draft from the window"),
            ("a cold rush of terror", "a cold breeze from the door"),
            ("a knot of dread in {pos} stomach", "the strap of the bag on {pos} shoulder"),
            ("sheer panic", "the rain on {pos} face"),
            ("a jolt of fright", "a tap on {pos} shoulder"),
            ("an icy fear", "an icy wind"),
            ("the panic rising in {pos} chest", "the strap pressing on {pos} shoulder"),
            ("a stab of anxiety", "a drop of water on {pos} arm"),
            ("a growing sense of dread", "a slight vibration in the floor"),
            ("real terror", "the cold floor under {pos} feet"),
        ],
        "ADV": [
            ("nervously", "quietly"),
            ("fearfully", "slowly"),
            ("anxiously", "again"),
            ("in terror", "once more"),
            ("with shaking hands", "with a cup in hand"),
            ("in a panic", "in a hurry"),
            ("with dread", "for a while"),
            (", terrified", ", coat in hand"),
            (", fearing the worst", ", checking the time"),
            ("in fright", "at noon"),
        ],
        "UTT": [
            ("I'm so scared", "I'm at the station"),
            ("I'm terrified of what comes next", "I'm writing down what comes next"),
            ("Please, I'm frightened", "Please, I'm listening"),
            ("Something is wrong, I'm afraid", "Something is outside, I think"),
            ("I can't stop shaking, I'm so scared", "I can't stop now, I'm almost done"),
            ("Help, I'm panicking", "Wait, I'm parking"),
            ("This is terrifying", "This is the station"),
            ("I'm scared to open it", "I'm going to open it"),
            ("I've never been this frightened", "I've never been this far north"),
            ("My heart is pounding with fear", "My bag is heavy with books"),
        ],
    },
    "curiosity": {
        "VP": [
            ("lean| closer, curious", "lean| closer, yawning"),
            ("wonder| what it could mean", "write| down what it said"),
            ("peer| at it with great curiosity", "look| at it for a second"),
            ("want| to know more", "want| to go home"),
            ("ask| question after question", "ask| for the bill"),
            ("investigate| the strange sound", "ignore| the usual sound"),
            ("explore| every corner of it", "clean| every corner of it"),
            ("puzzle| over the odd pattern", "walk| over the wet floor"),
            ("ponder| where it came from", "mention| where it came from"),
            ("examine| it with fascination", "put| it in a drawer"),
            ("feel| a burning curiosity", "feel| a light rain"),
            ("wonder| who had left it", "note| who had left it"),
            ("grow| intrigued", "grow| tired"),
            ("dig| deeper into the mystery", "dig| deeper into the soil"),
            ("stare| in fascination", "stand| in the hallway"),
            ("want| to discover its secret", "want| to finish the report"),
            ("peek| inside, intrigued", "step| inside, dripping"),
            ("start| to investigate", "start| to cook"),
            ("wonder| how it worked", "check| how long it took"),
            ("tilt| {pos} head, curious", "scratch| {pos} head, sleepy"),
        ],
        "ADJ": [
            ("curious", "seated"),
            ("intrigued", "outside"),
            ("fascinated", "upstairs"),
            ("eager to find out more", "about to head out"),
            ("curious about everything", "tired after the shift"),
            ("full of questions", "full of soup"),
            ("puzzled and intrigued", "awake and dressed"),
            ("dying to know what it was", "ready to go to bed"),
            ("utterly fascinated", "fully dressed"),
            ("deeply curious", "sitting down"),
            ("intensely interested", "in the kitchen"),
            ("curious to learn more", "about to leave"),
            ("captivated by the mystery", "busy with the laundry"),
            ("more curious than ever", "later than usual"),
            ("puzzled", "downstairs"),
            ("full of wonder", "at the desk"),
        ],
        "NP": [
            ("a spark of curiosity", "a gust of wind"),
            ("a strong urge to investigate", "a strong smell of paint"),
            ("a deep fascination", "a cold draft"),
            ("the pull of the mystery", "the weight of the bag"),
            ("a flicker of intrigue", "a flicker of the lamp"),
            ("an itch to explore", "an itch on {pos} arm"),
            ("a rush of curiosity", "a rush of cold air"),
            ("a burning need to know more", "a sore spot on {pos} heel"),
            ("a growing fascination", "a slight draft"),
            ("a curious tug of interest", "the buckle of {pos} belt"),
        ],
        "ADV": [
            ("curiously", "quietly"),
            ("with great curiosity", "with a cup in hand"),
            ("in fascination", "once more"),
            ("inquisitively", "again"),
            (", wondering what it meant", ", checking the time"),
            (", intrigued", ", coat in hand"),
            ("with growing interest", "for a while"),
            ("with fascination", "at noon"),
            (", puzzled", ", yawning"),
            ("with a curious frown", "with a paper cup"),
        ],
        "UTT": [
            ("I wonder what that is", "I think that is the bus"),
            ("How does this even work? I'm so curious", "Where does this go? I'm almost done"),
            ("That's fascinating, tell me more", "That's the kettle, hand me a cup"),
            ("I need to know what's inside", "I need to buy some bread"),
            ("What a mystery, let's investigate", "What a day, let's go home"),
            ("I'm curious where it leads", "I'm sure where it goes"),
            ("Why would anyone build this? I wonder", "Where should we put this? I guess"),
            ("That's so intriguing", "That's the last one"),
            ("Let's explore it together", "Let's paint it together"),
            ("I have so many questions about it", "I have so many boxes to move"),
        ],
    },
    "anger": {
        "VP": [
            ("clench| {pos} fists in rage", "fold| {pos} hands in {pos} lap"),
            ("slam| the door in fury", "close| the door behind {obj}"),
            ("shake| with anger", "lean| against the wall"),
            ("glare| at everyone, furious", "look| at everyone, yawning"),
            ("storm| out of the room", "walk| out of the room"),
            ("seethe| with resentment", "wait| with the others"),
            ("shout| in outrage", "speak| in a low voice"),
            ("feel| {pos} blood boil", "feel| {pos} feet ache"),
            ("grit| {pos} teeth in anger", "brush| {pos} teeth in the sink"),
            ("kick| the wall in frustration", "touch| the wall for balance"),
            ("fume| in silence", "sit| in silence"),
            ("rage| at the injustice", "look| at the schedule"),
            ("turn| red with fury", "turn| left at the corner"),
            ("lose| {pos} temper", "lose| {pos} keys"),
            ("snap| at the clerk angrily", "nod| at the clerk briefly"),
            ("bang| the table in anger", "wipe| the table with a cloth"),
            ("curse| under {pos} breath, livid", "hum| under {pos} breath, typing"),
            ("hate| every minute of it", "time| every minute of it"),
            ("tear| the letter up in rage", "fold| the letter up neatly"),
            ("throw| the phone down in fury", "set| the phone down on the desk"),
        ],
        "ADJ": [
            ("furious", "seated"),
            ("livid", "outside"),
            ("angry", "upstairs"),
            ("absolutely furious", "already dressed"),
            ("shaking with rage", "sitting by the door"),
            ("too angry to speak", "too busy to talk"),
            ("red with anger", "back at home"),
            ("outraged", "indoors"),
            ("seething with resentment", "busy with paperwork"),
            ("irritated", "early"),
            ("mad at everyone", "at the office"),
            ("annoyed", "nearby"),
            ("fuming", "awake"),
            ("beside {pos}self with rage", "halfway through {pos} lunch"),
            ("bitterly resentful", "fully dressed"),
            ("so angry", "at work"),
        ],
        "NP": [
            ("a surge of anger", "a draft from the window"),
            ("hot rage", "the rain on {pos} face"),
            ("a flash of fury", "a tap on {pos} shoulder"),
            ("the anger rising in {pos} chest", "the strap pressing on {pos} shoulder"),
            ("a burning resentment", "a cold breeze"),
            ("pure outrage", "the cold floor"),
            ("a wave of irritation", "a wave of cool air"),
            ("a bitter rage", "a bitter wind"),
            ("deep frustration", "a slight vibration"),
            ("a boiling fury in {pos} gut", "a small stone in {pos} shoe"),
        ],
        "ADV": [
            ("angrily", "quietly"),
            ("furiously", "slowly"),
            ("with clenched fists", "with a cup in hand"),
            ("in a rage", "in a hurry"),
            (", furious", ", coat in hand"),
            ("in fury", "once more"),
            ("with open hostility", "for a while"),
            (", seething", ", yawning"),
            ("with rage", "at noon"),
            ("resentfully", "again"),
        ],
        "UTT": [
            ("This is outrageous", "This is the station"),
            ("I'm so angry I could scream", "I'm so close I can see it"),
            ("How dare you do this to me", "How long will this take"),
            ("I'm furious with all of you", "I'm done with all of these"),
            ("Get out, I'm sick of this", "Come in, I'm almost ready"),
            ("I hate this, I really hate it", "I fixed this, I really fixed it"),
            ("This makes me so mad", "This takes me an hour"),
            ("I've had enough of your lies", "I've had enough of the soup"),
            ("Don't you dare touch that", "Don't forget to bring that"),
            ("I'm fed up and furious", "I'm on the train"),
        ],
    },
    "joy": {
        "VP": [
            ("laugh| with delight", "lean| against the wall"),
            ("smile| from ear to ear", "walk| from room to room"),
            ("jump| for joy", "wait| for the bus"),
            ("cheer| loudly", "nod| once"),
            ("dance| around the kitchen, overjoyed", "walk| around the kitchen, yawning"),
            ("feel| {pos} heart swell with happiness", "feel| {pos} phone buzz in {pos} pocket"),
            ("grin| happily", "sit| down"),
            ("beam| with pride and joy", "stand| with the others"),
            ("hug| everyone in sight, delighted", "greet| everyone in sight, briefly"),
            ("celebrate| with a big party", "clean| up after lunch"),
            ("cry| tears of joy", "drink| a glass of water"),
            ("sing| with happiness", "read| in the hallway"),
            ("clap| {pos} hands in delight", "rub| {pos} hands together"),
            ("laugh| out loud, thrilled", "look| around, yawning"),
            ("feel| pure joy", "feel| the wind"),
            ("rejoice| with the others", "sit| with the others"),
            ("glow| with happiness", "stand| by the window"),
            ("throw| {pos} arms up in joy", "put| {pos} arms on the table"),
            ("hum| a cheerful tune", "check| the train times"),
            ("smile| with pure delight", "sit| at the back"),
        ],
        "ADJ": [
            ("overjoyed", "seated"),
            ("thrilled", "outside"),
            ("delighted", "upstairs"),
            ("happy", "early"),
            ("ecstatic", "indoors"),
            ("so happy", "at work"),
            ("bursting with joy", "sitting by the door"),
            ("giddy with happiness", "busy with paperwork"),
            ("grinning from ear to ear", "standing by the door"),
            ("too happy to speak", "too busy to talk"),
            ("elated", "nearby"),
            ("filled with joy", "back at home"),
            ("glad", "awake"),
            ("over the moon", "in the kitchen"),
            ("cheerful", "downstairs"),
            ("radiant with happiness", "halfway through {pos} lunch"),
        ],
        "NP": [
            ("a wave of joy", "a draft from the window"),
            ("a rush of happiness", "a rush of cold air"),
            ("pure delight", "the rain on {pos} face"),
            ("a warm glow of joy", "a cold breeze from the door"),
            ("the happiness rising in {pos} chest", "the strap pressing on {pos} shoulder"),
            ("a burst of elation", "a tap on {pos} shoulder"),
            ("sheer joy", "the cold floor"),
            ("a thrill of excitement", "a slight vibration in the floor"),
            ("a deep happiness", "a cold draft"),
            ("a bubbling delight", "a wet sleeve"),
        ],
        "ADV": [
            ("happily", "quietly"),
            ("joyfully", "slowly"),
            ("with a big smile", "with a cup in hand"),
            ("with delight", "once more"),
            (", laughing with joy", ", checking the time"),
            (", overjoyed", ", coat in hand"),
            ("cheerfully", "again"),
            ("with glee", "at noon"),
            (", beaming", ", yawning"),
            ("gleefully", "for a while"),
        ],
        "UTT": [
            ("I'm so happy", "I'm at the station"),
            ("This is the best day of my life", "This is the last stop on the line"),
            ("I'm thrilled, thank you", "I'm leaving, see you"),
            ("What a wonderful surprise", "What a long corridor"),
            ("I can't stop smiling", "I can't find the keys"),
            ("This is pure joy", "This is the station"),
            ("I'm overjoyed, truly", "I'm outside, actually"),
            ("We did it, hooray", "We did the dishes"),
            ("I'm so glad you came", "I'm so sure you came"),
            ("My heart is full of joy", "My bag is full of books"),
        ],
    },
}

ACTIONS = ["look| at the door", "open| the letter", "read| the message", "glance| at the window",
           "pick| up the phone", "turn| toward the hallway", "walk| to the car", "unlock| the front door",
           "watch| the street below", "answer| the phone", "look| at the screen", "step| into the room"]
SPEECH_VERBS = ["said", "whispered", "told us", "wrote", "said quietly", "called out", "added", "replied"]

# Frames: (slot kind, pattern). Fields: {S}/{s} subject (capitalized/as is), {O} the
# subject named as an object (name, role or object pronoun),
# {obj}, {pos}, {was}/{Was}, {is}, {cp}/{Cp} past connective, {cr}/{Cr}
# present connective, {sp}/{sr} situation past/present, {role}, {act_*}
# action, {sv} speech verb, and @ = the slot.
FRAMES = [
    ("VP", "past", "{Cp} {sp}, {s} @."),
    ("VP", "past", "{S} @ {cp} {sp}."),
    ("VP", "pres", "{Cr} {sr}, {s} @."),
    ("VP", "pres", "{S} @ {cr} {sr}."),
    ("VP", "base", "Did {s} really @ {cp} {sp}?"),
    ("VP", "base", "Why did {s} @ {cp} {sp}?"),
    ("VP", "base", "If {sr}, {s} will probably @."),
    ("VP", "base", "I saw {O} @ {cp} {sp}."),
    ("VP", "past", "It was {O} who @ {cp} {sp}."),
    ("VP", "s3", "Picture a {role} who @ {cr} {sr}."),
    ("VP", "past", "This is a story about a {role} who @ {cp} {sp}."),
    ("VP", "past", "{Cp} {sp}, {s} @ and did not say a word."),
    ("VP", "base", "Nobody expected {O} to @ {cp} {sp}."),
    ("ADJ", "-", "{Cp} {sp}, {s} {was} @."),
    ("ADJ", "-", "{S} {was} @ {cp} {sp}."),
    ("ADJ", "-", "{S} {is} always @ {cr} {sr}."),
    ("ADJ", "-", "{Was} {s} @ {cp} {sp}?"),
    ("ADJ", "-", "Dear diary, today I was @ {cp} {sp}."),
    ("ADJ", "-", "According to the report, {s} {was} @ {cp} {sp}."),
    ("NP", "-", "{Cp} {sp}, {s} felt @."),
    ("NP", "-", "{S} felt @ {cp} {sp}."),
    ("NP", "-", "{Cr} {sr}, {s} {feel} @."),
    ("ADV", "-", "{Cp} {sp}, {s} {act_past} @."),
    ("ADV", "-", "{S} {act_past} @ {cp} {sp}."),
    ("ADV", "-", "{Cr} {sr}, {s} {act_pres} @."),
    ("UTT", "-", "\"@,\" {s} {sv} {cp} {sp}."),
    ("UTT", "-", "{Cp} {sp}, {s} {sv}: \"@.\""),
]
KIND_WEIGHT = {"VP": 13, "ADJ": 6, "NP": 3, "ADV": 3, "UTT": 2}  # frames per kind, roughly


def cap(s):
    return s[:1].upper() + s[1:]


class Deck:
    """Draws items in shuffled rounds, so every item is used about equally."""

    def __init__(self, items, rng):
        self.items, self.rng, self.left = list(items), rng, []

    def draw(self):
        if not self.left:
            self.left = self.items[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def render_vp(phrase, form, subj):
    verb, rest = phrase.split("|", 1)
    if form == "pres":
        form = "s3" if subj["s3"] else "base"
    return conj(verb, form) + rest


def fill(text, subj):
    pos = subj["pos"]
    return (text.replace("{pos}self", {"my": "myself", "your": "yourself", "his": "himself", "her": "herself",
                                       "our": "ourselves", "their": "themselves"}[pos])
            .replace("{pos}", pos).replace("{obj}", subj["obj"]))


def make_pair(emotion, rng, decks):
    kind = decks["kind"].draw()
    frame = decks["frame_" + kind].draw()
    _, form, pattern = frame
    subj = decks["subj"].draw()
    while pattern.startswith("I saw") and subj["s"] == "I":
        subj = decks["subj"].draw()
    if "Dear diary" in pattern:
        subj = _subj("I", "my", "me", "was", "am", False)
    role = decks["role"].draw()
    if "{role}" in pattern:  # "a {role} who ...": the role is the subject
        p = rng.choice(["his", "her"])
        subj = _subj("the " + role, p, OBJ_OF[p], "was", "is", True)
    sp, sr = decks["sit"].draw()
    emo, neu = decks["phrase_" + kind].draw()
    act = decks["act"].draw()
    if kind == "VP":
        pe, pn = render_vp(emo, form, subj), render_vp(neu, form, subj)
    else:
        pe, pn = emo, neu
    fields = {
        "S": cap(subj["s"]), "s": subj["s"], "O": subj["O"], "pos": subj["pos"], "was": subj["was"],
        "Was": cap(subj["was"]), "is": subj["is"], "cp": decks["cp"].draw(), "cr": decks["cr"].draw(),
        "sp": sp, "sr": sr, "role": role, "sv": decks["sv"].draw(),
        "feel": "feels" if subj["s3"] else "feel",
        "act_past": render_vp(act, "past", subj), "act_pres": render_vp(act, "pres", subj),
    }
    fields["Cp"], fields["Cr"] = cap(fields["cp"]), cap(fields["cr"])
    text = pattern
    for k, v in fields.items():
        text = text.replace("{" + k + "}", v)
    text = fill(text, subj)
    pe, pn = fill(pe, subj), fill(pn, subj)
    if "," in pe and "," in pn and "@ " in text:  # "lay awake, terrified, when ..."
        text = text.replace("@ ", "@, ")
    pos_s = text.replace("@", pe).replace(" ,", ",")
    neg_s = text.replace("@", pn).replace(" ,", ",")
    return kind, pos_s, neg_s, text, pe, pn


def make_pairs(emotion, n, seed, lexicons):
    rng = random.Random(f"qsteer-pairs-{seed}-{emotion}")
    kinds = [k for k, w in KIND_WEIGHT.items() for _ in range(w)]
    decks = {
        "kind": Deck(kinds, rng), "subj": Deck(SUBJECTS, rng),
        "sit": Deck(SITUATIONS[emotion] + GENERAL_SITUATIONS, rng),
        "cp": Deck(CONJ_PAST, rng), "cr": Deck(CONJ_PRES, rng), "act": Deck(ACTIONS, rng),
        "role": Deck(ROLE_NOUNS, rng), "sv": Deck(SPEECH_VERBS, rng),
    }
    for k in KIND_WEIGHT:
        decks["frame_" + k] = Deck([f for f in FRAMES if f[0] == k], rng)
        decks["phrase_" + k] = Deck(PHRASES[emotion][k], rng)
    all_lex = set().union(*lexicons.values())
    other_lex = set().union(*(set(v) for e, v in lexicons.items() if e != emotion))
    own = set(lexicons[emotion])
    seen_pos, seen_neg, out, stats = set(), set(), [], {"with_marker": 0, "len_diff": 0, "tries": 0}
    while len(out) < n:
        stats["tries"] += 1
        if stats["tries"] > 50 * n:
            sys.exit(f"{emotion}: cannot make {n} distinct pairs")
        kind, p, q, tmpl, pe, pn = make_pair(emotion, rng, decks)
        if p in seen_pos or q in seen_neg or p == q:
            continue
        # the pair differs only in the slot, by construction; check anyway
        assert tmpl.count("@") == 1
        if markers(q, all_lex):
            sys.exit(f"{emotion}: negative has a lexicon word: {q!r} "
                     f"({[w for w in words_of(q) if w in all_lex]})")
        if markers(p, other_lex):
            sys.exit(f"{emotion}: positive has another emotion's word: {p!r} "
                     f"({[w for w in words_of(p) if w in other_lex]})")
        stats["with_marker"] += markers(p, own) > 0
        stats["len_diff"] += abs(len(words_of(p)) - len(words_of(q)))
        seen_pos.add(p)
        seen_neg.add(q)
        out.append({"positive": p, "negative": q})
    return out, stats


# ============================================================================
# Prompts
# ============================================================================

SCENARIO_PROMPTS = [
    "You are walking alone at night and hear footsteps behind you. What do you do?",
    "You open your front door and find a small wooden box with your name carved on the lid. What happens next?",
    "Your manager calls you into her office and closes the door behind you. What goes through your mind?",
    "A stranger on the train hands you a folded note and gets off at the next stop. What do you do?",
    "You come home and find that someone has rearranged all the furniture in your apartment. How do you react?",
    "Your phone rings at three in the morning from a number you have not seen in ten years. What do you do?",
    "You are halfway up a mountain trail when the weather suddenly changes. Describe what you do and how you feel.",
    "An old friend you lost touch with years ago knocks on your door, holding a suitcase. What do you say?",
]

NARRATIVE_PROMPTS = [
    "The letter arrived on a Tuesday, and when she opened it",
    "Nobody had opened the door at the end of the hall in twenty years, so when it swung open that night",
    "The old man at the bus stop looked up from his newspaper and said",
    "When the lights came back on, everyone in the room",
    "I had lived in this town my whole life, but that morning the river",
    "The package was smaller than he expected, and inside it",
    "On the last day of summer, my brother and I found",
    "The phone buzzed twice on the kitchen table. She read the message, and then",
]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--n-pairs", type=int, default=800)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--samples", type=int, default=3, help="pairs to print per emotion")
    args = ap.parse_args()

    lex = build_lexicons()
    for sub in ("pairs", "prompts", "lexicons"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    all_lex = set().union(*map(set, lex.values()))
    for name, prompts in (("scenario", SCENARIO_PROMPTS), ("narrative", NARRATIVE_PROMPTS)):
        for t in prompts:  # emotionally open: no lexicon word in a prompt
            if markers(t, all_lex):
                sys.exit(f"prompt has a lexicon word: {t!r}")
        write_jsonl(os.path.join(args.out, "prompts", name + ".jsonl"), [{"text": t} for t in prompts])
    for e in EMOTIONS:
        with open(os.path.join(args.out, "lexicons", e + ".json"), "w", encoding="utf-8") as f:
            json.dump({"emotion": e, "words": lex[e]}, f, indent=1)
            f.write("\n")
        pairs, st = make_pairs(e, args.n_pairs, args.seed, lex)
        write_jsonl(os.path.join(args.out, "pairs", e + ".jsonl"), pairs)
        print(f"{e}: {len(pairs)} pairs ({st['with_marker']} positives with a {e} lexicon word, "
              f"mean |word-count difference| {st['len_diff'] / len(pairs):.2f}); lexicon {len(lex[e])} words")
        for r in random.Random(f"show-{e}").sample(pairs, args.samples):
            print(f"  + {r['positive']}\n  - {r['negative']}")


if __name__ == "__main__":
    main()
