"""The report format as data: canonical fields, their EN/NL/FR aliases, and the value vocabularies.

Documented in docs/report-format.md, which tests/test_vocabulary.py holds to this file. Headers and values are
matched after `label_key` (case, accents, spaces, `_`, `-`, `.`, `:` and apostrophes ignored; a trailing
parenthetical note dropped).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a field's text is read."""

    TEXT = "text"
    DATE = "date"
    ENUM = "enum"
    BOOL = "bool"


@dataclass(frozen=True)
class Field:
    """A canonical field of a report part."""

    name: str
    kind: Kind
    required: bool = False
    aliases: tuple[str, ...] = ()


_NOTE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_IGNORED = re.compile(r"[\s_\-.'’`:]+")


def label_key(text: str) -> str:
    """Return the matching key of a header or value: 'Date de réception (dd/mm/yyyy)' → 'datedereception'."""
    text = _NOTE.sub("", text.strip())
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _IGNORED.sub("", plain.casefold())


CASE_FIELDS: tuple[Field, ...] = (
    Field("case_id", Kind.TEXT, True, (
        "case id", "case number", "case no", "case nr", "ticket", "ticket id", "ticket number", "reference",
        "dossiernummer", "dossier", "zaaknummer", "ticketnummer", "referentie",
        "numéro de dossier", "n° dossier", "no dossier", "référence", "numéro de ticket")),
    Field("received_on", Kind.DATE, True, (
        "received", "date received", "received on", "received at", "request date", "receipt date",
        "datum ontvangst", "ontvangen op", "ontvangstdatum", "datum verzoek",
        "date de réception", "reçu le", "date de la demande", "date réception")),
    Field("request_type", Kind.ENUM, True, (
        "type", "request type", "right", "type of request",
        "type verzoek", "soort verzoek", "recht", "type de demande", "droit exercé", "droit")),
    Field("channel", Kind.ENUM, False, ("channel", "kanaal", "canal")),
    Field("data_subject_ref", Kind.TEXT, False, (
        "customer id", "customer number", "customer", "subject", "data subject",
        "klantnummer", "klant id", "klant", "numéro client", "identifiant client", "n° client")),
    Field("identity_verified", Kind.BOOL, False, (
        "id verified", "identity verified", "identity checked",
        "identiteit geverifieerd", "identiteit gecontroleerd", "identité vérifiée")),
    Field("id_requested_on", Kind.DATE, False, (
        "id requested on", "identification requested on", "identificatie gevraagd op",
        "identification demandée le")),
    Field("id_received_on", Kind.DATE, False, (
        "id received on", "identification received on", "identificatie ontvangen op",
        "identification reçue le")),
    Field("forwarded_on", Kind.DATE, False, (
        "forwarded to controller", "forwarded on", "forwarded", "doorgestuurd op",
        "doorgestuurd naar opdrachtgever", "doorgestuurd", "transmis le", "transmis au responsable")),
    Field("escalated_on", Kind.DATE, False, ("escalated on", "geëscaleerd op", "escaladé le")),
    Field("escalated_to", Kind.ENUM, False, ("escalated to", "geëscaleerd naar", "escaladé vers")),
    Field("extension_notified_on", Kind.DATE, False, (
        "extension notified on", "extension notified", "verlenging gemeld op", "prolongation notifiée le")),
    Field("extension_reason", Kind.TEXT, False, (
        "extension reason", "reason for extension", "reden verlenging", "motif de prolongation")),
    Field("responded_on", Kind.DATE, False, (
        "responded on", "response date", "answered on", "datum antwoord", "beantwoord op",
        "date de réponse", "répondu le")),
    # A ticket closed is not a request answered: the day it was closed is not the day the person was answered.
    Field("closed_on", Kind.DATE, False, (
        "closed on", "closing date", "afgehandeld op", "gesloten op", "afgesloten op", "clôturé le",
        "date de clôture")),
    Field("outcome", Kind.ENUM, False, ("outcome", "result", "resultaat", "uitkomst", "résultat", "issue")),
    Field("refusal_reason", Kind.TEXT, False, (
        "refusal reason", "reason for refusal", "reden weigering", "motif du refus")),
    Field("complaint_right_notified", Kind.BOOL, False, (
        "complaint right notified", "sa notice", "klachtrecht gemeld", "gewezen op klachtrecht",
        "droit de réclamation notifié", "information cnil/apd", "information apd", "information cnil")),
    # GDPR Art. 12(4): a refusal also tells the person they may seek a judicial remedy (Art. 79).
    Field("judicial_remedy_notified", Kind.BOOL, False, (
        "judicial remedy notified", "court remedy notified", "remedy notice", "rechtsmiddel gemeld",
        "gewezen op rechtsmiddel", "beroep bij rechter gemeld", "recours juridictionnel notifié",
        "droit de recours notifié", "information recours")),
    Field("suppressed_on", Kind.DATE, False, (
        "suppressed on", "opt-out effective", "opt out effective on", "uitgeschreven op", "désinscrit le")),
    Field("agent_id", Kind.TEXT, False, (
        "agent", "agent id", "medewerker", "conseiller", "téléconseiller")),
    Field("language", Kind.TEXT, False, ("language", "taal", "langue")),
    Field("summary", Kind.TEXT, False, (
        "notes", "summary", "notities", "samenvatting", "commentaire", "résumé", "commentaires")),
)

TRAINING_FIELDS: tuple[Field, ...] = (
    Field("agent_id", Kind.TEXT, True, ("agent", "agent id", "medewerker", "conseiller", "téléconseiller")),
    Field("trained_on", Kind.DATE, True, (
        "gdpr training", "training date", "trained on", "avg-opleiding", "avg opleiding", "opleidingsdatum",
        "formation rgpd", "date de formation")),
    Field("confidentiality_signed_on", Kind.DATE, False, (
        "confidentiality signed", "confidentiality signed on", "geheimhouding getekend",
        "confidentialité signée")),
)

# Value vocabularies (docs/report-format.md, "Value vocabularies"): canonical value → aliases.
VOCABULARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "request_type": {
        "access": ("inzage", "inzageverzoek", "accès", "droit d'accès", "subject access"),
        "rectification": ("correctie", "rectificatie", "wijziging"),
        "erasure": ("verwijdering", "wissing", "vergetelheid", "effacement", "suppression", "deletion"),
        "restriction": ("beperking", "limitation"),
        "portability": ("overdraagbaarheid", "portabilité", "data portability"),
        "objection": ("bezwaar", "opposition"),
        "marketing_opt_out": ("uitschrijving", "afmelding", "afmelden nieuwsbrief", "opt-out", "unsubscribe",
                              "désinscription", "opposition prospection", "stop marketing", "bel-me-niet"),
        "consent_withdrawal": ("intrekking toestemming", "retrait du consentement", "withdraw consent"),
        "complaint": ("klacht", "bezorgdheid", "plainte", "réclamation", "concern"),
        "other": ("overige", "autre", "andere"),
    },
    "channel": {
        "phone": ("telefoon", "téléphone", "telephone", "tel"),
        "email": ("e-mail", "mail", "courriel"),
        "web": ("webformulier", "formulaire", "web form", "website"),
        "letter": ("brief", "post", "courrier"),
        "chat": (),
        "social": ("social media", "sociale media", "réseaux sociaux"),
        "in_person": ("balie", "guichet", "in person"),
    },
    "outcome": {
        "fulfilled": ("uitgevoerd", "toegekend", "accordé", "granted"),
        "partially_fulfilled": ("gedeeltelijk", "partiel", "partially", "partial"),
        "refused": ("geweigerd", "afgewezen", "refusé", "rejected"),
        "no_data": ("geen gegevens", "aucune donnée", "no data found"),
        "withdrawn": ("ingetrokken", "retiré"),
        "identity_not_confirmed": ("identiteit niet bevestigd", "identité non confirmée", "identity not verified"),
        # GDPR Art. 12(5): refused as manifestly unfounded or excessive, or acted on for a reasonable fee.
        "excessive": ("buitensporig", "kennelijk ongegrond", "excessif", "manifestement infondé"),
        "fee": ("vergoeding", "frais", "fee charged"),
        # A ticket closed, the outcome not stated: "handled" is not "granted" (outcome.unstated).
        "closed": ("afgehandeld", "gesloten", "afgesloten", "traité", "clôturé", "done"),
    },
    "escalated_to": {
        "dpo": ("functionaris gegevensbescherming", "fg", "dpd", "délégué à la protection des données"),
        "legal": ("juridisch", "juridische dienst", "juridique", "service juridique"),
        "controller": ("opdrachtgever", "verwerkingsverantwoordelijke", "responsable", "responsable du traitement"),
    },
    "boolean": {
        "true": ("yes", "y", "true", "1", "x", "ja", "j", "oui", "o", "vrai"),
        "false": ("no", "n", "false", "0", "nee", "non", "faux"),
    },
}

ENUM_VOCABULARY = {"request_type": "request_type", "channel": "channel", "outcome": "outcome",
                   "escalated_to": "escalated_to"}

# Report-level facts on a summary sheet (docs/report-format.md, "Report-level facts").
SUMMARY_LABELS: dict[str, tuple[str, ...]] = {
    "processor": ("processor", "verwerker", "sous-traitant", "leverancier", "prestataire", "supplier"),
    "period": ("period", "periode", "période", "maand", "mois", "month", "reporting period"),
    "submitted_on": ("submitted on", "date submitted", "report date", "sent on", "ingediend op", "verzonden op",
                     "datum rapport", "date d'envoi", "envoyé le", "date du rapport", "soumis le"),
    "declared_total": ("total", "totaal", "totaal dossiers", "nombre de dossiers", "total cases",
                       "number of cases", "aantal dossiers"),
}

# First cell of a trailing total row (keys compared on letters only).
TOTAL_LABELS: tuple[str, ...] = ("total", "totaal", "totaaldossiers", "nombrededossiers", "totalcases",
                                 "totaux", "grandtotal", "totaalaantal", "numberofcases", "aantaldossiers")


def alias_index(fields: tuple[Field, ...]) -> dict[str, str]:
    """Map every alias key (and the canonical name's key) to its field name."""
    index: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            index.setdefault(label_key(alias), f.name)
    return index


def value_index(vocabulary: str) -> dict[str, str]:
    """Map every value alias key (and the canonical value's key) to the canonical value."""
    index: dict[str, str] = {}
    for canonical, aliases in VOCABULARIES[vocabulary].items():
        for alias in (canonical, *aliases):
            index.setdefault(label_key(alias), canonical)
    return index


CASE_ALIASES = alias_index(CASE_FIELDS)
TRAINING_ALIASES = alias_index(TRAINING_FIELDS)
SUMMARY_INDEX = {label_key(a): fact for fact, aliases in SUMMARY_LABELS.items() for a in aliases}
FIELDS_BY_NAME = {f.name: f for f in CASE_FIELDS}
TRAINING_BY_NAME = {f.name: f for f in TRAINING_FIELDS}
