import { describe, expect, it } from "vitest";
import { FIRST, nextPage, pageNumber, positionFrom, positionSearch, previousPage } from "../src/listPages";

describe("the links list's page in the address", () => {
  it("round-trips through the address and the history entry", () => {
    const third = nextPage(nextPage(FIRST, "c2"), "c3");
    const search = positionSearch(third, "?search=spring");
    const params = new URLSearchParams(search);
    expect([params.get("search"), params.get("page"), params.get("cursor")]).toEqual(["spring", "3", "c3"]);
    const back = positionFrom(search, { cursors: third.cursors });
    expect(back).toEqual(third);
    expect(pageNumber(previousPage(back))).toBe(2);
    expect(positionSearch(previousPage(previousPage(back)), search)).toBe("search=spring"); // page 1: nothing
  });

  it("open a shared address at its page, Previous then going to the first page", () => {
    const shared = positionFrom("?page=4&cursor=c4", null);
    expect(pageNumber(shared)).toBe(4);
    expect(shared.cursors).toEqual(["c4"]);
    expect(pageNumber(nextPage(shared, "c5"))).toBe(5);
    expect(previousPage(shared)).toEqual(FIRST);
    expect(positionFrom("?page=4&cursor=c4", { cursors: [null, "x", "y", "other"] })).toEqual(shared); // kept for another page
  });

  it("read anything else as the first page", () => {
    for (const search of ["", "?page=3", "?cursor=c2", "?page=0&cursor=c", "?page=x&cursor=c", "?page=1&cursor=c"]) {
      expect(positionFrom(search, null)).toEqual(FIRST);
    }
  });
});
