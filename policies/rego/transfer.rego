# Transfers outside the EEA (GDPR Chapter V): an adequacy decision in force
# whose scope covers the recipient (Art. 45), an Art. 46 safeguard, or, for
# an occasional transfer, a derogation of Art. 49(1) that fits it. And
# Art. 48: an order of a third-country court or authority is not a legal
# obligation under Union or member-state law unless it rests on an
# international agreement.
package privacy.rules.transfer

import data.privacy.lib
import data.privacy.rules.retention

deny contains lib.reason("transfer.no_safeguard", sprintf("recipient %q in %q is outside the EEA and nothing covers the transfer: %s; no Art. 46 safeguard (safeguard %q); no Art. 49 derogation that applies", [input.request.recipient.id, country, concat("; ", sort(adequacy_gaps)), object.get(input.request.recipient, "safeguard", "")])) if {
	input.request.recipient
	lib.outside_eea
	not adequate
	not data.catalog.art46_safeguards[input.request.recipient.safeguard]
	not derogation_applies
	country := object.get({"": "unknown country"}, input.request.recipient.country, input.request.recipient.country)
}

deny contains lib.reason("transfer.derogation_not_applicable", sprintf("derogation %q does not cover the transfer to %q: %s", [derogation, input.request.recipient.country, concat("; ", sort(derogation_problems))])) if {
	input.request.recipient
	lib.outside_eea
	not adequate
	not data.catalog.art46_safeguards[input.request.recipient.safeguard]
	count(derogation_problems) > 0
}

# Art. 48 (and 6(3)): a legal obligation is one of Union or member-state
# law. A disclosure demanded by an authority or court of a third country
# rests on legal_obligation only where an international agreement (a mutual
# legal assistance treaty) or an Art. 49 derogation covers it; adequacy of
# the authority's country does not make its law ours.
basis_deny[b] contains lib.reason("disclosure.foreign_authority", sprintf("recipient %q is an authority of %q, outside the EEA: its order is not a legal obligation under Union or member-state law unless an international agreement or an Art. 49 derogation covers it (Art. 48)%s", [input.request.recipient.id, authority_jurisdiction, problems_suffix])) if {
	input.request.recipient.kind == "public_authority"
	data.catalog.purposes_by_basis.legal_obligation[input.request.purpose]
	some b in lib.candidates
	b == "legal_obligation"
	input.request.recipient.kind == "public_authority"
	not data.catalog.eea[authority_jurisdiction]
	not derogation_applies
}

authority_jurisdiction := j if {
	j := object.get(input.request.recipient, "jurisdiction", "")
	j != ""
}

authority_jurisdiction := input.request.recipient.country if object.get(input.request.recipient, "jurisdiction", "") == ""

problems_suffix := sprintf(": derogation %q does not apply: %s", [derogation, concat("; ", sort(derogation_problems))]) if count(derogation_problems) > 0

problems_suffix := "" if count(derogation_problems) == 0

# --- Adequacy (Art. 45) ---

# A decision in force at the time of the processing whose scope covers the
# recipient: the certification it requires (the US: the Data Privacy
# Framework) and the sectors it covers and excludes (Canada: PIPEDA,
# commercial; Japan: APPI business operators; Korea: not credit
# information under the Credit Information Act).
adequate if {
	adequacy_decision
	count(adequacy_gaps) == 0
}

# The adequacy decision of the recipient's country, if it has one.
adequacy_decision := data.catalog.adequacy[input.request.recipient.country]

adequacy_gaps contains "no adequacy decision" if not adequacy_decision

adequacy_gaps contains sprintf("the adequacy decision %s applies only from %s", [adequacy_decision.decision, adequacy_decision.from]) if not lib.reached(adequacy_decision.start_ns)

adequacy_gaps contains sprintf("the adequacy decision %s ended after %s", [adequacy_decision.decision, adequacy_decision.until]) if lib.reached(adequacy_decision.end_ns)

# The answer changes when the recipient country's adequacy decision starts
# or ends, and when the subject's consent to the transfer expires or
# reaches its maximum age (lib.changes).
changes contains adequacy_decision.start_ns if data.catalog.adequacy[input.request.recipient.country]

changes contains adequacy_decision.end_ns if data.catalog.adequacy[input.request.recipient.country]

changes contains input.transfer_consent.expires_ns if {
	input.transfer_consent
	input.transfer_consent.expires_ns > 0
}

adequacy_gaps contains sprintf("the adequacy decision %s covers only recipients with %q (recipient.safeguard or recipient.certifications)", [adequacy_decision.decision, adequacy_decision.requires]) if {
	adequacy_decision.requires != ""
	not requirement_met(adequacy_decision)
}

adequacy_gaps contains sprintf("the adequacy decision %s covers only recipients of sector %s; the recipient states %q (recipient.sector)", [adequacy_decision.decision, concat(" or ", adequacy_decision.sectors), sector]) if {
	count(adequacy_decision.sectors) > 0
	not sector in adequacy_decision.sectors
}

adequacy_gaps contains sprintf("the adequacy decision %s does not cover sector %q", [adequacy_decision.decision, sector]) if sector in adequacy_decision.excluded_sectors

requirement_met(a) if input.request.recipient.safeguard == a.requires

requirement_met(a) if a.requires in object.get(input.request.recipient, "certifications", [])

# A public authority is in the public sector whatever the request says.
sector := "public" if input.request.recipient.kind == "public_authority"

sector := object.get(input.request.recipient, "sector", "") if input.request.recipient.kind != "public_authority"

# --- Derogations (Art. 49) and international agreements (Art. 48) ---

derogation := d if {
	d := object.get(input.request.recipient, "derogation", "")
	d != ""
}

derogation_applies if {
	derogation
	count(derogation_problems) == 0
}

# Recital 111, EDPB Guidelines 2/2018: derogations are for occasional
# transfers, never for systematic ones.
derogation_problems contains "derogations serve only occasional transfers, and this one is systematic (recipient.occasional is false)" if {
	data.catalog.art49_derogations[derogation]
	not object.get(input.request.recipient, "occasional", false)
}

derogation_problems contains "Art. 49(1)(a)-(c) do not serve disclosures to public authorities (Art. 49(3))" if {
	data.catalog.art49_private_only[derogation]
	input.request.recipient.kind == "public_authority"
}

derogation_problems contains sprintf("no explicit consent of the subject to transfers for %q to %q is on record (Art. 49(1)(a))", [input.request.purpose, input.request.recipient.country]) if {
	derogation == "explicit_consent"
	not transfer_consent_given
}

# The consent to a transfer is a consent like any other (Art. 4(11), 7, 8;
# EDPB Guidelines 2/2018): a child under the age of digital consent of
# their country gives it only with a guardian, and it is asked again at
# the purpose's maximum age of consent, as for the purpose's own consent
# (privacy.rules.bases).
derogation_problems contains sprintf("the subject is under the age of digital consent of their country (%d) and no guardian gave or authorised the consent to the transfer (Art. 8(1), 49(1)(a))", [age]) if {
	derogation == "explicit_consent"
	transfer_consent_given
	age := object.get(data.catalog.consent_age.countries, input.request.subject.country, data.catalog.consent_age.default)
	input.request.subject.age > 0
	input.request.subject.age < age
	not input.transfer_consent.guardian
}

derogation_problems contains sprintf("the consent to the transfer is older than %s: ask again (EDPB Guidelines 05/2020, para. 110)", [lib.purpose.consent_max_age.period]) if {
	derogation == "explicit_consent"
	transfer_consent_given
	lib.reached(transfer_consent_renewal_due)
}

# When the consent to the transfer reaches the purpose's maximum age of
# consent.
transfer_consent_renewal_due := retention.add_period(input.transfer_consent.collected_ns, lib.purpose.consent_max_age) if {
	input.transfer_consent.event == "given"
	input.transfer_consent.collected_ns > 0
}

changes contains transfer_consent_renewal_due

derogation_problems contains sprintf("purpose %q is not necessary for a contract with the subject (Art. 49(1)(b)-(c))", [input.request.purpose]) if {
	derogation in {"contract", "contract_in_interest"}
	not contract_purpose
}

contract_purpose if "contract" in lib.declared_bases

derogation_problems contains sprintf("purpose %q does not serve legal claims (Art. 49(1)(e))", [input.request.purpose]) if {
	derogation == "legal_claims"
	not lib.purpose.legal_claims
}

derogation_problems contains "an international agreement covers only an order of a public authority or court (Art. 48)" if {
	derogation == "international_agreement"
	input.request.recipient.kind != "public_authority"
}

# Art. 48 recognises a third-country order that requires the disclosure;
# a disclosure the operator makes of its own accord (legitimate interests:
# a fraud report, its own legal claims) rests on no order, and needs a
# transfer tool of its own (Art. 46, or 49(1)(d)-(e) for an occasional one).
derogation_problems contains sprintf("an international agreement covers only an order that requires the disclosure, on legal_obligation; purpose %q does not rest on one (Art. 48)", [input.request.purpose]) if {
	derogation == "international_agreement"
	not lib.on_legal_obligation
}

# The subject's consent to this transfer (TransferConsentPurpose), given,
# live and by an affirmative act.
transfer_consent_given if {
	c := input.transfer_consent
	c.event == "given"
	not c.expires_ns > 0
	not data.catalog.not_consent_acts[c.act]
}

transfer_consent_given if {
	c := input.transfer_consent
	c.event == "given"
	not lib.reached(c.expires_ns)
	not data.catalog.not_consent_acts[c.act]
}
