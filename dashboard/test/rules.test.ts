import { describe, expect, it } from "vitest";
import type { Link } from "../src/api";
import {
  COUNTRY_CODES,
  emptyTarget,
  emptyVariant,
  errorPlace,
  errorsAfterChange,
  hasRules,
  inRules,
  parseTags,
  ruleMarkers,
  rulesBody,
  rulesForm,
  targetConditions,
  variantShares,
  type RulesForm,
} from "../src/rules";

const plain: Link = {
  id: "0123456789abcdef0123456789abcdef",
  code: "Spring25",
  short_url: "http://localhost/Spring25",
  destination_url: "https://shop.example/",
  title: null,
  status: "active",
  expires_at: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  campaign: null,
  contact_id: null,
  clicks: 0,
  conversion_tracking: false,
  max_clicks: null,
  expired_url: null,
  has_password: false,
  targets: [],
  variants: [],
};

const ruled: Link = {
  ...plain,
  max_clicks: 100,
  expired_url: "https://shop.example/sold-out",
  has_password: true,
  targets: [
    { os: "ios", device: null, country: null, destination_url: "https://apps.apple.com/app/id1" },
    { os: null, device: "desktop", country: "BR", destination_url: "https://shop.example/br" },
  ],
  variants: [
    { destination_url: "https://shop.example/a", weight: 3 },
    { destination_url: "https://shop.example/b", weight: 1 },
  ],
  tags: ["spring", "sale"],
};

function edited(link: Link, change: (form: RulesForm) => void): Record<string, unknown> {
  const form = rulesForm(link);
  change(form);
  return rulesBody(form, link);
}

describe("rules: the form and the request body", () => {
  it("sends nothing for a new link left plain", () => {
    expect(rulesBody(rulesForm())).toEqual({});
  });

  it("sends every rule of a new link as the API takes it", () => {
    const form = rulesForm();
    form.maxClicks = " 100 ";
    form.expiredUrl = "https://shop.example/sold-out";
    form.password = "open sesame";
    form.targets = [
      { ...emptyTarget(), os: "ios", destination_url: " https://apps.apple.com/app/id1 " },
      { ...emptyTarget(), device: "desktop", country: "br", destination_url: "https://shop.example/br" },
    ];
    form.variants = [
      { ...emptyVariant(), destination_url: "https://shop.example/a", weight: "3" },
      { ...emptyVariant(), destination_url: "https://shop.example/b" },
    ];
    form.tags = "spring, sale,,spring ";
    expect(rulesBody(form)).toEqual({
      max_clicks: 100,
      expired_url: "https://shop.example/sold-out",
      password: "open sesame",
      targets: [
        { os: "ios", destination_url: "https://apps.apple.com/app/id1" },
        { device: "desktop", country: "BR", destination_url: "https://shop.example/br" },
      ],
      variants: [
        { destination_url: "https://shop.example/a", weight: 3 },
        { destination_url: "https://shop.example/b", weight: 1 },
      ],
      tags: ["spring", "sale"],
    });
  });

  it("sends what the form cannot read as a number as typed, for the server to name", () => {
    const form = rulesForm();
    form.maxClicks = "1.5";
    form.variants = [{ ...emptyVariant(), weight: "-2" }, emptyVariant()];
    const body = rulesBody(form);
    expect(body.max_clicks).toBe("1.5");
    expect((body.variants as { weight: unknown }[])[0].weight).toBe("-2");
  });

  it("keeps rows as typed, blank ones too, so the server's row numbers match the form's", () => {
    const form = rulesForm();
    form.targets = [emptyTarget(), { ...emptyTarget(), os: "linux" }];
    expect(rulesBody(form).targets).toEqual([{ destination_url: "" }, { os: "linux", destination_url: "" }]);
  });

  it("reads a link into the form and sends nothing when nothing changed", () => {
    const form = rulesForm(ruled);
    expect(form.maxClicks).toBe("100");
    expect(form.password).toBe(""); // never prefilled
    expect(form.targets.map((t) => [t.os, t.device, t.country])).toEqual([
      ["ios", "", ""],
      ["", "desktop", "BR"],
    ]);
    expect(form.variants.map((v) => v.weight)).toEqual(["3", "1"]);
    expect(form.tags).toBe("spring, sale");
    expect(rulesBody(form, ruled)).toEqual({});
    expect(rulesBody(rulesForm(plain), plain)).toEqual({});
  });

  it("sends only what an edit changed", () => {
    expect(edited(ruled, (f) => (f.variants[1].weight = "2"))).toEqual({
      variants: [
        { destination_url: "https://shop.example/a", weight: 3 },
        { destination_url: "https://shop.example/b", weight: 2 },
      ],
    });
    expect(edited(ruled, (f) => (f.targets = [f.targets[1], f.targets[0]]))).toEqual({
      targets: [
        { device: "desktop", country: "BR", destination_url: "https://shop.example/br" },
        { os: "ios", destination_url: "https://apps.apple.com/app/id1" },
      ],
    });
    expect(edited(ruled, (f) => (f.tags = "sale"))).toEqual({ tags: ["sale"] });
  });

  it("clears rules with null, and lists with []", () => {
    const body = edited(ruled, (f) => {
      f.maxClicks = "";
      f.expiredUrl = " ";
      f.targets = [];
      f.variants = [];
      f.tags = "";
      f.passwordChange = "remove";
    });
    expect(body).toEqual({ max_clicks: null, expired_url: null, password: null, targets: [], variants: [], tags: [] });
  });

  it("keeps, changes or removes a password that is set, and sets one on a link without", () => {
    expect(edited(ruled, (f) => (f.password = "ignored while kept"))).toEqual({});
    expect(edited(ruled, (f) => ((f.passwordChange = "change"), (f.password = "new one")))).toEqual({ password: "new one" });
    expect(edited(ruled, (f) => (f.passwordChange = "remove"))).toEqual({ password: null });
    expect(edited(plain, (f) => (f.password = "first"))).toEqual({ password: "first" });
  });

  it("reads a link from a server without rules as a plain one", () => {
    const old = { ...plain } as Partial<Link>;
    for (const name of ["max_clicks", "expired_url", "has_password", "targets", "variants"] as const) delete old[name];
    expect(hasRules(old as Link)).toBe(false);
    expect(rulesBody(rulesForm(old as Link), old as Link)).toEqual({});
    expect(ruleMarkers(old as Link)).toEqual([]);
  });
});

describe("rules: what is shown", () => {
  it("opens the section only for a link with a rule", () => {
    expect(hasRules(undefined)).toBe(false);
    expect(hasRules(plain)).toBe(false);
    expect(hasRules({ ...plain, tags: ["x"] })).toBe(false); // tags are not rules
    expect(hasRules({ ...plain, has_password: true })).toBe(true);
    expect(hasRules({ ...plain, max_clicks: 1 })).toBe(true);
    expect(hasRules({ ...plain, targets: ruled.targets })).toBe(true);
  });

  it("shares the traffic by weight, live as the weights are typed", () => {
    expect(variantShares(["3", "1"])).toEqual([0.75, 0.25]);
    expect(variantShares(["1", "1", "2"])).toEqual([0.25, 0.25, 0.5]);
    expect(variantShares(["2", ""])).toEqual([1, 0]); // a blank weight has no share yet
    expect(variantShares(["0", "x"])).toEqual([0, 0]);
    expect(variantShares([])).toEqual([]);
  });

  it("marks a row's rules in a few words", () => {
    expect(ruleMarkers(plain)).toEqual([]);
    expect(ruleMarkers(ruled)).toEqual(["limit 100", "A/B", "targeted"]);
  });

  it("says a target's conditions in words", () => {
    expect(targetConditions({ os: "ios", device: null, country: null })).toBe("iOS");
    expect(targetConditions({ os: "macos", device: "desktop", country: "BR" })).toBe("macOS · Desktop · Brazil");
    expect(targetConditions({ os: null, device: "tablet", country: null })).toBe("Tablet");
  });

  it("parses tags from comma-separated text", () => {
    expect(parseTags("")).toEqual([]);
    expect(parseTags(" a , b,a,, c ")).toEqual(["a", "b", "c"]);
    expect(parseTags("Spring,spring")).toEqual(["Spring", "spring"]); // the API decides on case
  });

  it("knows each country code once, in upper case", () => {
    expect(new Set(COUNTRY_CODES).size).toBe(COUNTRY_CODES.length);
    expect(COUNTRY_CODES.every((code) => /^[A-Z]{2}$/.test(code))).toBe(true);
    expect(COUNTRY_CODES).toContain("US");
    expect(COUNTRY_CODES).not.toContain("UK"); // GB is the code
  });
});

describe("rules: where a server error is shown", () => {
  const form = { targets: [emptyTarget(), emptyTarget()], variants: [emptyVariant(), emptyVariant()] };

  it("at the row's field, or the row, that the server names", () => {
    expect(errorPlace("targets[1].os", form)).toBe("targets[1].os");
    expect(errorPlace("targets[0]", form)).toBe("targets[0]");
    expect(errorPlace("variants[1].destination_url", form)).toBe("variants[1].destination_url");
    expect(errorPlace("variants[0].weight", form)).toBe("variants[0].weight");
  });

  it("at the list when the row is not in the form", () => {
    expect(errorPlace("targets[2].country", form)).toBe("targets");
    expect(errorPlace("variants[7]", form)).toBe("variants");
  });

  it("at the tags field for any tag, and as named otherwise", () => {
    expect(errorPlace("tags[3]", form)).toBe("tags");
    expect(errorPlace("max_clicks", form)).toBe("max_clicks");
    expect(errorPlace(undefined, form)).toBeNull();
  });

  it("opens the Rules section for the rules' fields only", () => {
    expect(["max_clicks", "expired_url", "password", "targets", "targets[0].os", "variants[1].weight"].every(inRules)).toBe(true);
    expect(["destination_url", "tags", "domain", "title"].some(inRules)).toBe(false);
  });
});

describe("rules: an error goes once its place is edited", () => {
  const errors = {
    "targets[1]": "names no condition",
    "targets[1].country": "not a code",
    "targets[10]": "another row",
    targets: "too many",
    max_clicks: "must be 1 or more",
  };

  it("drops a row's errors when the row is edited, and no one else's", () => {
    expect(errorsAfterChange(errors, "targets[1]")).toEqual({
      "targets[10]": "another row",
      targets: "too many",
      max_clicks: "must be 1 or more",
    });
  });

  it("drops every row's errors when rows come, go or move", () => {
    expect(errorsAfterChange(errors, "targets")).toEqual({ max_clicks: "must be 1 or more" });
    expect(errorsAfterChange(errors, "max_clicks")).not.toHaveProperty("max_clicks");
    expect(errorsAfterChange(errors, "password")).toEqual(errors);
  });
});
