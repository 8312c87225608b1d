import FunctionRuntime
import BrandFilter
import Testing
import TestSupport

@Suite struct BrandSelectionTests {
    @Test func unsetEmptyOrAllSelectsEveryBrand() throws {
        #expect(try BrandSelection(parsing: nil) == .all)
        #expect(try BrandSelection(parsing: "  ") == .all)
        #expect(try BrandSelection(parsing: "ALL") == .all)
        #expect(try BrandSelection(config: Config(environment: [:])) == .all)
    }

    @Test func listIsTrimmedAndNormalised() throws {
        #expect(try BrandSelection(parsing: " 12, 0034 ,,") == .only(["12", "34"]))
        #expect(try BrandSelection(config: Config(environment: ["ZENDESK_BRANDS": "7"])) == .only(["7"]))
    }

    @Test func nonNumericIdIsAConfigurationError() {
        #expect(throws: RuntimeError.self) { try BrandSelection(parsing: "12,acme") }
        #expect(throws: RuntimeError.self) { try BrandSelection(parsing: "-3") }
    }
}

@Suite struct BrandFilterRuleTests {
    let subscription: JSON = ["type": "zen:event-type:ticket.created", "detail": ["id": "5", "brand_id": "360001"]]

    @Test func brandIsReadFromEachInputShape() {
        #expect(BrandFilterRules.brandID(of: subscription) == "360001")
        #expect(BrandFilterRules.brandID(of: ["brand_id": 42]) == "42")
        #expect(BrandFilterRules.brandID(of: ["ticket": ["brand_id": "43"]]) == "43")
        #expect(BrandFilterRules.brandID(of: ["ticket": ["brand": ["id": "44"]]]) == "44")
    }

    @Test func nullEmptyAndZeroMeanNoBrand() {
        #expect(BrandFilterRules.brandID(of: ["detail": ["brand_id": nil]]) == nil)
        #expect(BrandFilterRules.brandID(of: ["brand_id": ""]) == nil)
        #expect(BrandFilterRules.brandID(of: ["brand_id": "0"]) == nil)
        #expect(BrandFilterRules.brandID(of: ["ticket_id": "9"]) == nil)
    }

    @Test func allPassesEverythingIncludingNoBrand() {
        #expect(BrandFilterRules.decide(event: subscription, selection: .all) == .pass(brandID: "360001"))
        #expect(BrandFilterRules.decide(event: ["ticket_id": "9"], selection: .all) == .pass(brandID: nil))
    }

    @Test func listPassesOnlyListedBrands() {
        #expect(
            BrandFilterRules.decide(event: subscription, selection: .only(["1", "360001"])) == .pass(brandID: "360001"))
        #expect(
            BrandFilterRules.decide(event: subscription, selection: .only(["1"]))
                == .filter(brandID: "360001", reason: "brand_not_selected"))
    }

    @Test func listDropsEventsWithoutBrand() {
        #expect(
            BrandFilterRules.decide(event: ["ticket_id": "9"], selection: .only(["1"]))
                == .filter(brandID: nil, reason: "no_brand"))
    }

    @Test func outputsArePassthroughAndFiltered() throws {
        guard case .passthrough(let r) = BrandFilterHandler.handle(try BrandFilterEvent(raw: subscription.serializedBytes()), selection: .all)
        else {
            Issue.record("expected passthrough"); return
        }
        #expect(r["outcome"] == "passed")
        guard
            case .filtered(let f) = BrandFilterHandler.handle(
                try BrandFilterEvent(raw: subscription.serializedBytes()), selection: .only(["2"]))
        else {
            Issue.record("expected filtered"); return
        }
        #expect(f["outcome"] == "filtered")
        #expect(f["reason"] == "brand_not_selected")
    }
}

@Suite struct BrandFilterInputTests {
    /// A Zendesk event is a JSON object; anything else is refused (exit 65), never passed on.
    @Test(arguments: ["[1,2]", "\"text\"", "42", "null"])
    func nonObjectEventsAreRefused(_ input: String) throws {
        let r = try Exec.run("brand-filter", env: ["ZENDESK_BRANDS": "all"], stdin: input)
        #expect(r.status == 65, "\(r.stdout)")
        #expect(!r.stdout.contains(input) || r.stdout.contains("error"))
    }
}
