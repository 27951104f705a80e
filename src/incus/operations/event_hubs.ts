/**
 * The shared events connections of one client: one
 * {@linkcode OperationEventHub} per project scope, made on first use.
 *
 * @module
 */

import { eventsQuery } from "../events.ts";
import type { Transport } from "../transport/transport.ts";
import { type HubSettings, OperationEventHub } from "./event_hub.ts";

/** The shared events connections of one client, one per project scope. */
export class EventHubs {
  readonly #transport: Transport;
  readonly #project: string | undefined;
  readonly #settings: Partial<HubSettings> | undefined;
  readonly #hubs = new Map<string, OperationEventHub>();

  /**
   * @param transport The client's transport.
   * @param project The client's default project.
   * @param settings Timing overrides.
   */
  constructor(
    transport: Transport,
    project: string | undefined,
    settings: Partial<HubSettings> | undefined,
  ) {
    this.#transport = transport;
    this.#project = project;
    this.#settings = settings;
  }

  /** The connection of a call's project (else the client's). */
  get(project: string | undefined): OperationEventHub {
    const scope = project ?? this.#project;
    const key = scope ?? "";
    let hub = this.#hubs.get(key);
    if (hub === undefined) {
      hub = new OperationEventHub(
        this.#transport,
        eventsQuery({ types: ["operation"] }, scope),
        this.#settings,
      );
      this.#hubs.set(key, hub);
    }
    return hub;
  }

  /** Closes every connection; resolves once each is closed. */
  async close(): Promise<void> {
    const hubs = [...this.#hubs.values()];
    this.#hubs.clear();
    await Promise.all(hubs.map((hub) => hub.close()));
  }
}
