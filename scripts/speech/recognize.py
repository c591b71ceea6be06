"""The offline provider's speech recogniser: a resident pocketsphinx worker.

Reads one JSON request per line on stdin, {"id": n, "pcm": base64 of 16 kHz mono s16le, "open": bool},
and answers one JSON line on stdout, {"id": n, "text": "..."} (or {"id": n, "error": "..."}).
The grammar decoder (phrases.txt, exact on clean or Opus-coded synthetic speech) always runs first;
when it finds nothing and "open" is set, the general English model tries (rough, for a real
microphone). Out-of-grammar speech, noise and silence give "" with the grammar alone.
"""
import base64
import json
import os
import sys

from pocketsphinx import Decoder, get_model_path

MODEL = get_model_path()
ACOUSTIC = os.path.join(MODEL, "en-us", "en-us")
DICTIONARY = os.path.join(MODEL, "en-us", "cmudict-en-us.dict")


def grammar_file(phrases_path: str, out_dir: str) -> str:
    with open(phrases_path, encoding="utf-8") as f:
        phrases = [line.strip().lower() for line in f if line.strip() and not line.startswith("#")]
    path = os.path.join(out_dir, "phrases.jsgf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = " + " | ".join(phrases) + ";\n")
    return path


def decode(decoder: Decoder, pcm: bytes) -> str:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr.strip() if hyp is not None else ""


def main() -> None:
    phrases, work_dir = sys.argv[1], sys.argv[2]
    common = {"hmm": ACOUSTIC, "dict": DICTIONARY, "samprate": 16000, "loglevel": "FATAL"}
    grammar = Decoder(jsgf=grammar_file(phrases, work_dir), **common)
    general = None  # loaded on first use: 0.5 s and 60 MB that the tests never need
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
            pcm = base64.b64decode(req["pcm"])
            text = decode(grammar, pcm)
            if not text and req.get("open"):
                if general is None:
                    general = Decoder(lm=os.path.join(MODEL, "en-us", "en-us.lm.bin"), **common)
                text = decode(general, pcm)
            print(json.dumps({"id": req["id"], "text": text}), flush=True)
        except Exception as err:  # one bad request must not stop the worker
            print(json.dumps({"id": req.get("id") if isinstance(req, dict) else None, "error": str(err)}), flush=True)


if __name__ == "__main__":
    main()
