/// How a `--dry-run` result reads: what the function would do, never that it happened.
///
/// Writes are not sent (the HTTP client records them in the plan and answers them as accepted),
/// so a result built from those answers would claim effects that did not occur. The report keeps
/// the function's decision and states it as intent:
/// - `dry_run: true` and `plan`, the writes in order (method, URL, body);
/// - when the plan holds a write, `outcome` becomes `planned` and the decision moves to `would`
///   (`"outcome":"planned","would":"sent"`);
/// - the members that confirm an effect (`FunctionDefinition.confirmations`) are left out.
public enum DryRun {
    public static func report(_ result: JSON, plan: [JSON], confirmations: [String]) -> JSON {
        var r = result
        r["dry_run"] = true
        r["plan"] = .array(plan)
        guard !plan.isEmpty, var members = r.object else { return r }
        for key in confirmations { members[key] = nil }
        members["would"] = members["outcome"] ?? "done"
        members["outcome"] = "planned"
        return .object(members)
    }
}
