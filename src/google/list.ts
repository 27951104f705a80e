/**
 * The result of `list()`: an async iterable of operations that fetches
 * pages as it goes, with `.pages()` for the pages themselves.
 *
 * @module
 */

/** The most pages one iteration of a listing fetches by default. */
export const DEFAULT_MAX_PAGES = 10_000;

/**
 * One page of a listing.
 *
 * @typeParam T An operation, or what the list's mutator made of it.
 *
 * @example
 * ```ts
 * import type { Operation, OperationPage } from "@incusops/operations/google";
 *
 * const page: OperationPage<Operation> = { operations: [], nextPageToken: undefined };
 * console.log(page.nextPageToken === undefined); // true: the last page
 * ```
 */
export interface OperationPage<T> {
  /** The page's operations (or the mutator's results), in the server's order. */
  operations: T[];
  /** The token of the next page; `undefined` on the last page. */
  nextPageToken: string | undefined;
}

/**
 * A listing of operations. Iterate it (`for await`) for the operations of
 * every page; iterate `.pages()` for the pages. Each iteration starts over
 * from the first page (or the `pageToken` the listing was made with), and
 * fetches the next page only when the previous one is used up.
 *
 * @typeParam T An operation, or what the list's mutator made of it.
 *
 * @example
 * ```ts
 * import { connectLongRunning } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using service = await FakeLongRunning.start();
 * for (let i = 0; i < 3; i++) service.createOperation();
 *
 * const operations = connectLongRunning({ baseUrl: service.baseUrl });
 * const listing = operations.list("operations", { pageSize: 2 });
 * assertEquals((await Array.fromAsync(listing)).length, 3);
 * const pages = await Array.fromAsync(listing.pages()); // starts over
 * assertEquals(pages.map((page) => page.operations.length), [2, 1]);
 * ```
 */
export class OperationList<T> implements AsyncIterable<T> {
  readonly #fetchPage: (token: string | undefined) => Promise<OperationPage<T>>;
  readonly #firstToken: string | undefined;
  readonly #maxPages: number;
  readonly #refuse: (why: string) => Error;

  /**
   * Made by `list()`; not meant to be constructed directly.
   *
   * @param fetchPage Fetches the page of a token (`undefined` for the first).
   * @param firstToken The token of the first page to fetch.
   * @param maxPages The most pages one iteration fetches.
   * @param refuse Makes the error thrown when the server's tokens cycle or the pages run past `maxPages`.
   */
  constructor(
    fetchPage: (token: string | undefined) => Promise<OperationPage<T>>,
    firstToken?: string,
    maxPages: number = DEFAULT_MAX_PAGES,
    refuse: (why: string) => Error = (why) => new Error(why),
  ) {
    this.#fetchPage = fetchPage;
    this.#firstToken = firstToken;
    this.#maxPages = maxPages;
    this.#refuse = refuse;
  }

  /**
   * The pages, one request each, until a page has no `nextPageToken`.
   *
   * @returns An async iterator over the pages.
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start({ defaultPageSize: 2 });
   * for (let i = 0; i < 3; i++) service.createOperation();
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * const tokens: (string | undefined)[] = [];
   * for await (const page of operations.list().pages()) tokens.push(page.nextPageToken);
   * assertEquals(tokens.length, 2);
   * assertEquals(tokens.at(-1), undefined); // the last page
   * ```
   */
  async *pages(): AsyncGenerator<OperationPage<T>, void, undefined> {
    let token = this.#firstToken;
    // Every token given so far: a server whose tokens cycle (A, B, A, ...)
    // would otherwise be listed forever.
    const seen = new Set<string>(token === undefined || token === "" ? [] : [token]);
    for (let count = 1;; count++) {
      const page = await this.#fetchPage(token);
      token = page.nextPageToken;
      if (token !== undefined && seen.has(token)) {
        throw this.#refuse(
          "a nextPageToken it gave before (the listing would go round in a cycle)",
        );
      }
      if (token !== undefined && count >= this.#maxPages) {
        throw this.#refuse(
          `a last page within ${this.#maxPages} pages (raise maxPages for a longer listing)`,
        );
      }
      yield page;
      if (token === undefined) return;
      seen.add(token);
    }
  }

  /**
   * The operations of every page, in order.
   *
   * @returns An async iterator over the operations.
   *
   * @example
   * ```ts
   * import { connectLongRunning } from "@incusops/operations/google";
   * import { FakeLongRunning } from "@incusops/operations/testing";
   * import { assertEquals } from "@std/assert";
   *
   * await using service = await FakeLongRunning.start();
   * const op = service.createOperation({ name: "operations/build-1" });
   * service.finish(op.name);
   *
   * const operations = connectLongRunning({ baseUrl: service.baseUrl });
   * const seen: string[] = [];
   * for await (const op of operations.list()) seen.push(`${op.name} ${op.done === true}`);
   * assertEquals(seen, ["operations/build-1 true"]);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.operations;
  }
}
