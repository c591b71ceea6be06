// The offline provider's embeddings: a bag of concepts, so search by meaning is testable and exact.
// Words of one synonym group share a dimension ("car" and "automobile" are the same concept); any
// other word gets a dimension of its own by hash, after the groups'. Stop words count for nothing.
// The vector is L2-normalised, so a dot product is the cosine similarity: texts with the same
// concepts score 1, texts with none in common 0 (barring two unknown words hashing alike).
import { createHash } from "node:crypto";

/** Synonym groups, one dimension each (index = position). Append only: indices are vectors' meaning. */
export const CONCEPTS: readonly (readonly string[])[] = [
  ["car", "automobile", "vehicle", "auto", "motorcar"],
  ["dog", "puppy", "hound", "canine", "pup"],
  ["cat", "kitten", "feline", "kitty"],
  ["house", "home", "residence", "dwelling", "flat", "apartment"],
  ["doctor", "physician", "gp", "medic", "clinician"],
  ["money", "cash", "fund", "currency", "savings"],
  ["happy", "glad", "joyful", "cheerful", "content"],
  ["food", "meal", "dinner", "lunch", "breakfast", "supper"],
  ["allergy", "allergic", "intolerance", "intolerant"],
  ["peanut", "groundnut", "nut"],
  ["phone", "telephone", "mobile", "cellphone", "smartphone"],
  ["email", "e-mail", "mail", "inbox"],
  ["job", "work", "employment", "occupation", "career", "profession"],
  ["child", "kid", "son", "daughter", "children"],
  ["spouse", "wife", "husband", "partner"],
  ["flight", "plane", "airplane", "aircraft", "airline"],
  ["holiday", "vacation", "trip", "getaway"],
  ["coffee", "espresso", "latte", "cappuccino"],
  ["password", "passcode", "pin", "passphrase"],
  ["wifi", "wireless", "wlan", "internet"],
  ["plant", "fern", "flower", "houseplant"],
  ["meeting", "appointment", "standup"],
  ["favourite", "favorite", "preferred", "prefer", "like", "love"],
  ["colour", "color", "hue", "shade"],
  ["birthday", "born", "birth"],
  ["address", "street", "postcode", "zip"],
  ["music", "song", "tune", "band"],
  ["sport", "football", "soccer", "tennis", "running"],
  ["book", "novel", "reading"],
  ["city", "town", "capital"],
];

const STOP = new Set(
  (
    "a an the and or but of to in on at for with by from as is are was were be been being it its this that " +
    "these those i me my mine we our you your he she him her his they them their what which who whom do does " +
    "did have has had not no so than too very can will just about into over under again then once there here " +
    "when where why how all any both each few more most other some such only own same s t"
  ).split(" "),
);

const BY_WORD = new Map<string, number>();
CONCEPTS.forEach((group, i) => group.forEach((w) => BY_WORD.set(w, i)));

/** Lower-case words, a plural "s" dropped when the singular is a known concept or the word is long. */
function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [])
    .filter((w) => !STOP.has(w))
    .map((w) => {
      if (BY_WORD.has(w)) return w;
      if (w.endsWith("s") && !w.endsWith("ss") && w.length > 3) return w.slice(0, -1);
      return w;
    });
}

function dimensionOf(word: string, dims: number): number {
  const concept = BY_WORD.get(word);
  if (concept !== undefined && concept < dims) return concept;
  const free = dims - CONCEPTS.length;
  const h = createHash("sha256").update(word).digest().readUInt32BE(0);
  return free > 0 ? CONCEPTS.length + (h % free) : h % dims;
}

/** The text's concept vector, `dims` long (256 by default), normalised; all zeros for no words. */
export function conceptEmbedding(text: string, dims = 256): number[] {
  const out = new Array<number>(dims).fill(0);
  for (const w of words(text)) out[dimensionOf(w, dims)]! += 1;
  const norm = Math.hypot(...out);
  return norm ? out.map((v) => v / norm) : out;
}
