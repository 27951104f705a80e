/**
 * The types of typed calls: how a path literal finds its documented
 * endpoint (the tables generated in `api/incus-6.0` and `api/lxd-5.0`), and
 * the options and answer a call on it gets. Each works segment by segment
 * (a template literal lookup in a tree), so checking a call stays cheap.
 *
 * @example
 * ```ts
 * import type { AnswerOf, Incus60 } from "@incusops/operations/api";
 *
 * type State = AnswerOf<Incus60, "/1.0/instances/c1/state", "GET">;
 * const state = { status: "Running" } as State;
 * console.log(state.status); // "Running"
 * ```
 *
 * @module
 */

import type { Operation, OperationFor } from "./operation.ts";
import type { CallOptions } from "./operations/options.ts";
import type { QueryOptions, WriteMethod } from "./client_options.ts";
import type { Api as Incus60 } from "../api/incus_6_0.ts";
import type { Api as Lxd50 } from "../api/lxd_5_0.ts";

export type { Incus60, Lxd50 };

/**
 * What a client is typed by: a generated API bundle, {@linkcode Incus60}
 * (the default) or {@linkcode Lxd50} (`connect<Lxd50>()`).
 *
 * @example
 * ```ts
 * import type { ApiTypes, Lxd50 } from "@incusops/operations";
 *
 * const daemon: ApiTypes["daemon"] = "LXD 5.0" satisfies Lxd50["daemon"];
 * console.log(daemon);
 * ```
 */
export interface ApiTypes {
  /** The daemon and version described, e.g. "Incus 6.0". */
  daemon: string;
  /** Every endpoint: path template → method → {@linkcode EndpointCall}. */
  endpoints: object;
  /** The path tree the lookup walks. */
  routes: object;
}

/** One documented call: an entry of a generated `Endpoints` table. */
export interface EndpointCall {
  /** Its query parameters. */
  query: object;
  /** Its JSON body (`never`: none). */
  body: unknown;
  /** Its sync answer's `metadata` (`never`: it always answers with an operation). */
  answer: unknown;
  /** Whether it answers with an operation (`boolean`: it may). */
  operation: boolean;
}

/** The child of path tree node `N` for segment `S`: the named one, else the parameter. */
export type ChildOf<N, S extends string> = S extends "" ? never
  : S extends keyof N ? N[S]
  : N extends { "{}": infer C } ? C
  : never;

/** The path tree node a path (without its leading `/` and its query) leads to. */
export type NodeOf<N, P extends string> = P extends `${infer S}/${infer Rest}`
  ? NodeOf<ChildOf<N, S>, Rest>
  : ChildOf<N, P>;

/** The parameters of a query string, as a union. */
export type ParamsOf<Q extends string> = Q extends `${infer H}&${infer Rest}` ? H | ParamsOf<Rest>
  : Q;

/** The variant a query string selects: `public`, `recursion=N`, both, or `""`. */
export type VariantOf<Q extends string> = JoinVariant<
  "public" extends ParamsOf<Q> ? "public" : never,
  Exclude<Extract<ParamsOf<Q>, `recursion=${string}`>, "recursion=0">
>;

/** `A&B`, or the one that is not `never`, or `""`. */
export type JoinVariant<A extends string, B extends string> = [A] extends [never]
  ? [B] extends [never] ? "" : B
  : [B] extends [never] ? A
  : `${A}&${B}`;

/** The endpoint template a path tree node holds for variant `V`. */
export type LeafOf<N, V extends string> = N extends { "?": infer L }
  ? V extends keyof L ? L[V] : never
  : never;

/**
 * The template of the documented endpoint a path names (e.g.
 * `"/1.0/instances/{name}/state"` for `` `/1.0/instances/${name}/state` ``);
 * `never` when none matches, or for a plain `string`.
 */
export type TemplateOf<A extends ApiTypes, P extends string> = string extends P ? never
  : P extends `/${infer Path}?${infer Query}` ? LeafOf<NodeOf<A["routes"], Path>, VariantOf<Query>>
  : P extends `/${infer Path}` ? LeafOf<NodeOf<A["routes"], Path>, "">
  : never;

/** The documented methods of a path: method → {@linkcode EndpointCall}. */
export type EndpointOf<A extends ApiTypes, P extends string> = TemplateOf<A, P> extends
  infer K extends keyof A["endpoints"] ? A["endpoints"][K] : never;

/** The {@linkcode EndpointCall} of a path and method. */
export type CallOf<A extends ApiTypes, P extends string, M> = EndpointOf<A, P> extends infer E
  ? M extends keyof E ? E[M] extends infer C extends EndpointCall ? C : never : never
  : never;

/** The documented methods a client may send to a path (`GET` and the writes). */
export type MethodOf<A extends ApiTypes, P extends string> = Extract<
  keyof EndpointOf<A, P>,
  "GET" | WriteMethod
>;

/** The methods of a path that answer with an operation (always or sometimes). */
export type AsyncMethodOf<A extends ApiTypes, P extends string> = {
  [M in MethodOf<A, P>]: CallOf<A, P, M>["operation"] extends false ? never : M;
}[MethodOf<A, P>];

/** The default method of a typed query: `GET` when documented. */
export type DefaultMethod<A extends ApiTypes, P extends string> = Extract<MethodOf<A, P>, "GET">;

/** The default method of a typed start: `POST` when it answers with an operation. */
export type DefaultStartMethod<A extends ApiTypes, P extends string> = Extract<
  AsyncMethodOf<A, P>,
  "POST"
>;

/**
 * The type error shown for a path literal that names no documented
 * endpoint: one text for every API, so that a `Client<Lxd50>` passes where a
 * `Client` is expected (a text naming the daemon would make them unrelated).
 */
export type UnknownPath = "not a documented endpoint (a string-typed path is not checked)";

/** `P` when it names a documented endpoint, else the type error shown. */
export type KnownPath<A extends ApiTypes, P extends string> = [TemplateOf<A, P>] extends [never]
  ? UnknownPath
  : P;

/** `P` when it names a documented endpoint with a `GET`, else the type error shown. */
export type ReadPath<A extends ApiTypes, P extends string> = [TemplateOf<A, P>] extends [never]
  ? UnknownPath
  : "GET" extends MethodOf<A, P> ? P
  : `${A["daemon"]} documents no GET here: give options.method`;

/** `P` when it is a plain `string` (not checked), else `never`. */
export type UncheckedPath<P extends string> = string extends P ? P : never;

/** `P` when it names an endpoint answering with an operation, else the type error shown. */
export type OperationPath<A extends ApiTypes, P extends string> = [TemplateOf<A, P>] extends [never]
  ? UnknownPath
  : [AsyncMethodOf<A, P>] extends [never]
    ? `${A["daemon"]} answers here without an operation (use client.query())`
  : P;

/**
 * `P` for a `startOperation()` without options: a plain `string`, or a
 * documented `POST` answering with an operation and taking no body; else
 * the type error shown.
 */
export type BarePath<A extends ApiTypes, P extends string> = string extends P ? P
  : OperationPath<A, P> extends P
    ? [DefaultStartMethod<A, P>] extends [never] ? "give options.method"
    : [CallOf<A, P, "POST">["body"]] extends [never] ? P
    : "give options.body"
  : OperationPath<A, P>;

/** What an unchecked call resolves with: an operation for a write, else `unknown`. */
export type Unchecked<O> = O extends { method: WriteMethod } ? Operation : unknown;

/** A body as sent: every field optional, at every depth. */
export type Body<T> = T extends readonly (infer E)[] ? Body<E>[]
  : T extends object ? { [K in keyof T]?: Body<T[K]> }
  : T;

/** The `body` option of a call: typed and required when documented, else absent. */
export type BodyOption<C extends EndpointCall> = [C["body"]] extends [never] ? { body?: undefined }
  : unknown extends C["body"] ? { body?: unknown }
  : { body: Body<C["body"]> };

/** The options of a typed `client.query()` on path `P` with method `M`. */
export type TypedQueryOptions<A extends ApiTypes, P extends string, M> =
  & Omit<QueryOptions, "method" | "body" | "query">
  & ("GET" extends M ? { method?: M } : { method: M })
  & BodyOption<CallOf<A, P, M>>
  & { query?: CallOf<A, P, M>["query"] };

/** The options of a typed `client.startOperation()` on path `P` with method `M`. */
export type TypedStartOptions<A extends ApiTypes, P extends string, M> =
  & CallOptions
  & ("POST" extends M ? { method?: M } : { method: M })
  & BodyOption<CallOf<A, P, M>>
  & { query?: CallOf<A, P, M>["query"] };

/** What a typed call resolves with: the operation, the sync answer, or either. */
export type AnswerOf<A extends ApiTypes, P extends string, M> = CallOf<A, P, M> extends
  infer C extends EndpointCall ? C["operation"] extends true ? OperationFor<P>
  : C["operation"] extends false ? C["answer"]
  : OperationFor<P> | C["answer"]
  : never;
