// The create/edit dialog's messages in words: the API names fields as its JSON does
// ("destination_url must use http or https"), which means little to someone filling in a
// form, so each refusal is said again about what the dialog shows. And the one fix-up the
// dialog makes itself: a destination typed without its scheme. Pure functions,
// unit-tested in test/linkErrors.test.ts.

interface Refusal {
  code: string;
  field?: string;
  message: string;
}

// The fields as the dialog names them, for the subject of a sentence.
const WORDS: Record<string, string> = {
  destination_url: "the destination",
  title: "the title",
  code: "the custom code",
  expires_at: "the expiration date",
  campaign: "the campaign",
  conversion_tracking: "conversion tracking",
  tags: "the tags",
  domain: "the domain",
  max_clicks: "max clicks",
  expired_url: "the expired URL",
  password: "the password",
  targets: "the targets",
  variants: "the A/B variants",
  os: "the operating system",
  device: "the device",
  country: "the country",
  weight: "the weight",
};

/** "the destination", "target 2's destination", "variant 1's weight": a field in words. */
export function fieldWords(field: string | undefined): string {
  if (!field) return "the link";
  const row = /^(targets|variants)\[(\d+)\](?:\.(\w+))?/.exec(field);
  if (row) {
    const what = `${row[1] === "targets" ? "target" : "variant"} ${Number(row[2]) + 1}`;
    return row[3] ? `${what}'s ${(WORDS[row[3]] ?? row[3]).replace(/^the /, "")}` : what;
  }
  const tag = /^tags\[(\d+)\]$/.exec(field);
  return tag ? `tag ${Number(tag[1]) + 1}` : (WORDS[field] ?? field);
}

function sentence(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** What the dialog says for a refusal of the API. */
export function linkErrorMessage(error: Refusal): string {
  const subject = sentence(fieldWords(error.field));
  switch (error.code) {
    case "unsupported_scheme":
      return `${subject} must start with http:// or https://.`;
    case "invalid_url":
      if (/host name/.test(error.message))
        return `${subject} has a host name no browser can reach: check the part after https://.`;
      if (/backslash/.test(error.message)) return `${subject} must not contain backslashes (\\).`;
      return `${subject} must be a full web address, such as https://example.com/page.`;
    case "url_too_long":
      return `${subject} is too long: at most 4,096 characters.`;
    case "url_control_characters":
      return `${subject} must not contain spaces or invisible characters.`;
    case "url_has_credentials":
      return `${subject} must not contain a user name or password.`;
    case "url_unsafe_normalisation":
      return `${subject} has characters in its host name that would change where it leads.`;
    case "redirect_loop":
      return `${subject} leads back to this service, so visitors would go round in a loop.`;
    case "invalid_code":
      return "The custom code must be 4–12 letters and digits (no spaces or symbols).";
    case "code_reserved":
      return "That code is a path the service uses itself. Choose another.";
    case "code_taken":
      return "That code is taken (perhaps by a deleted link). Choose another.";
    case "expires_in_past":
      return "The expiration date must be in the future.";
    default:
      return inWords(error.message);
  }
}

/** An API message with its field names said in words. */
function inWords(message: string): string {
  const named = message.replace(/\b(?:targets|variants|tags)\[\d+\](?:\.\w+)?|\b[a-z]+(?:_[a-z]+)+\b/g, (field) =>
    field in WORDS || field.includes("[") ? fieldWords(field) : field,
  );
  const first = /^[a-z]+\b/.exec(named)?.[0];
  return sentence(first && first in WORDS ? fieldWords(first) + named.slice(first.length) : named);
}

// A host name (ASCII or not) with an optional port, at the start of what was typed.
const HOST = /^(?:[\p{L}\p{N}-]+\.)+\p{L}[\p{L}\p{N}-]+\.?(?::\d{1,5})?(?=[/?#]|$)/u;

/** A destination as it is sent: "example.com/landing" gets "https://" in front, since that
 * is what its typist meant; anything else (a scheme, or no host name to start with) is sent
 * as typed, for the server to judge. */
export function withScheme(typed: string): string {
  const url = typed.trim();
  if (url.startsWith("//")) return `https:${url}`;
  return HOST.test(url) ? `https://${url}` : url;
}
