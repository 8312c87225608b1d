#!/usr/bin/env python3
"""bench/backfill.py — drives bench/backfill.sh: seeds a sandbox with N tickets, runs
`bundle-history backfill --apply` with time-compressed quotas, and reports wall time, the share
of the binding quota used, the 429s (the service's count), peak RSS, and the real-quota
projection for 1 M tickets. Standard library only."""
import json, os, resource, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def seed(base, n, now, export_limit=None):
    """N tickets over 120 days, one customer per 4 tickets (email or phone), 40 % closed."""
    call(base, "POST", "/_ctl/reset")
    call(base, "POST", "/_ctl/config", {"zendesk": {"export_rate_limit": export_limit or EXPORT_LIMIT},
                                        "klaviyo": {"bulk_rate_limit": BULK_LIMIT, "bulk_burst_limit": BULK_BURST}})
    agents = [{"id": 10 + a, "name": f"Agent {a}", "email": f"agent{a}@support.example", "role": "agent"} for a in range(8)]
    call(base, "POST", "/_ctl/seed", {"zendesk": {"users": agents, "groups": [{"id": 7, "name": "Tier 1"}],
                                                  "brands": [{"id": 1, "name": "Main"}, {"id": 2, "name": "Outlet"}]}})
    opened = resolved = 0
    since = now - 120 * 86400
    chunk = 2000
    for start in range(0, n, chunk):
        users, tickets = [], []
        for i in range(start, min(n, start + chunk)):
            if i % 4 == 0:
                u = {"id": 100000 + i // 4, "name": f"Customer {i // 4}", "role": "end-user"}
                if i % 8 == 0:
                    u["email"] = f"customer{i // 4}@example.com"
                else:
                    u["phone"] = "+1555%07d" % (i // 4)
                users.append(u)
            created = since + 3600 + (i * (118 * 86400)) // n
            closed = i % 5 < 2
            updated = created + 86400 if closed else created + 600
            tickets.append({"id": 1 + i, "requester_id": 100000 + i // 4, "brand_id": 1 + i % 2,
                            "assignee_id": 10 + i % 8, "group_id": 7, "status": "closed" if closed else "open",
                            "subject": f"Order {i}", "tags": ["order"], "created_at": iso(created),
                            "updated_at": iso(updated), "status_updated_at": iso(updated),
                            "description": f"Where is order {i}?"})
            opened += 1
            resolved += 1 if closed else 0
        call(base, "POST", "/_ctl/seed", {"zendesk": {"users": users, "tickets": tickets}})
    return since, opened, resolved


def run(base, n, client_export=None, service_export=None, page_size=None):
    now = int(time.time()) - 120
    since, opened, resolved = seed(base, n, now, service_export)
    env = dict(os.environ, ZENDESK_URL=base + "/zendesk", ZENDESK_EMAIL="agent@example.com", ZENDESK_API_TOKEN="zd-token",
               KLAVIYO_URL=base + "/klaviyo", KLAVIYO_API_KEY="pk_test", BUNDLE_STATE_DIR=WORK)
    state = os.path.join(WORK, f"state-{n}-{client_export or EXPORT_LIMIT}.json")
    args = [os.path.join(BIN, "bundle-history"), "backfill", "--since", iso(since), "--until", iso(now), "--apply",
            "--state", state, "--export-rate", str(client_export or EXPORT_LIMIT), "--bulk-rate", str(BULK_LIMIT),
            "--zendesk-rate", "100000", "--progress", "plain", "--json"] + (["--page-size", str(page_size)] if page_size else [])
    t0 = time.monotonic()
    out_path, err_path = os.path.join(WORK, f"out-{n}.txt"), os.path.join(WORK, f"err-{n}.txt")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)  # this child's own peak RSS
    wall = time.monotonic() - t0
    rss_kb = usage.ru_maxrss
    cpu = usage.ru_utime + usage.ru_stime
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"backfill failed ({code}): {open(err_path).read()[-2000:]}")
    summary = json.loads(open(out_path).read().strip().splitlines()[-1])
    counts = call(base, "GET", "/_ctl/counts")
    got = counts["klaviyo"]["events_by_metric"]
    ok = got.get("Opened Ticket") == opened and got.get("Resolved Ticket") == resolved
    answers = counts["answers"]
    return {
        "tickets": n, "wall_s": wall, "pages": summary["pages"], "jobs": summary["sent"]["bulk_jobs"],
        "events": summary["sent"]["events"], "fallback_jobs": summary["sent"]["fallback_jobs"],
        "export_share": summary["quota"]["export"]["share"], "bulk_share": summary["quota"]["bulk"]["share"],
        "zendesk_429": answers.get("zendesk 429", 0), "klaviyo_429": answers.get("klaviyo 429", 0),
        "client_429": summary["quota"]["export"]["throttled"] + summary["quota"]["bulk"]["throttled"],
        "rss_mb": rss_kb / 1024, "exact": ok, "cpu_s": cpu,
        "expected": {"Opened Ticket": opened, "Resolved Ticket": resolved}, "got": got,
    }


if __name__ == "__main__":
    base, WORK = sys.argv[1], sys.argv[2]
    sizes = [int(s) for s in sys.argv[3].split(",")]
    EXPORT_LIMIT, BULK_LIMIT, BULK_BURST = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    results = []
    for n in sizes:
        r = run(base, n)
        results.append(r)
        binding = "export" if r["pages"] / EXPORT_LIMIT >= r["jobs"] / BULK_LIMIT else "bulk"
        share = r["export_share"] if binding == "export" else r["bulk_share"]
        print(f"backfill: {n:,} tickets → {r['events']:,} events in {r['jobs']} bulk jobs, {r['pages']} export pages, "
              f"{r['wall_s']:.1f} s; binding quota {binding} used {share * 100:.1f} %; 429s from the services: "
              f"zendesk {r['zendesk_429']}, klaviyo {r['klaviyo_429']} (all waited out: {r['client_429']}); "
              f"fallback jobs {r['fallback_jobs']}; peak RSS {r['rss_mb']:.1f} MB; backfill CPU "
              f"{r['cpu_s'] * 1000 / (n / 1000):.0f} ms per 1,000 tickets; events exact: {r['exact']}")
        if not r["exact"]:
            print(f"backfill: expected {r['expected']}, Klaviyo has {r['got']}")
    big = results[-1]
    per_page = big["tickets"] / max(1, big["pages"])
    events_per_ticket = big["events"] / big["tickets"]
    pages_1m = 1_000_000 / 1000
    jobs_1m = 1_000_000 * events_per_ticket / 1000
    for export_rate in (10, 30):
        minutes = max(pages_1m / export_rate, jobs_1m / 150)
        print(f"backfill: projection for 1,000,000 tickets at the real quotas (export {export_rate}/min, bulk 150/min): "
              f"{pages_1m:.0f} pages → {pages_1m / export_rate:.0f} min, {jobs_1m:.0f} jobs → {jobs_1m / 150:.0f} min: "
              f"about {minutes:.0f} min")
    if len(results) > 1:
        print(f"backfill: peak RSS {results[0]['rss_mb']:.1f} MB at {results[0]['tickets']:,} tickets, "
              f"{results[-1]['rss_mb']:.1f} MB at {results[-1]['tickets']:,} "
              f"({results[-1]['rss_mb'] / results[0]['rss_mb']:.2f}× for {results[-1]['tickets'] / results[0]['tickets']:.0f}× the tickets)")
    # A quota the client does not know about (another integration shares it): the client asks
    # for twice what the export allows, so the service must refuse; each 429 is waited out.
    # 100 pages of 50 at 120/min against 60/min: the service must refuse once its minute is full.
    forced = run(base, 5000, client_export=120, service_export=60, page_size=50)
    print(f"backfill: told twice the export quota (120/min against 60/min, pages of 50), "
          f"{forced['tickets']:,} tickets: zendesk answered {forced['zendesk_429']} 429s, the backfill waited out "
          f"{forced['client_429']}, {forced['wall_s']:.1f} s; events exact: {forced['exact']}")
    results.append(forced)
    sys.exit(0 if all(r["exact"] for r in results) else 1)
