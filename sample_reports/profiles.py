"""The two fictional call centres: names, staff, languages and the words their agents type."""

from __future__ import annotations

from datetime import date

from sample_reports.scenario import Profile

BELCALL = Profile(
    key="belcall",
    name="Belcall Antwerpen BV",
    id_format="BC-{yymmdd}-{n:02d}",
    customer_format="KL-{:06d}",
    customer_range=(100000, 199999),
    agents={a: 1.0 for a in (
        "an.peeters", "bram.claes", "sofie.maes", "jens.wouters", "lotte.jacobs", "ruben.mertens",
        "elif.yilmaz", "noah.dewitte", "ines.goossens", "wout.vermeulen", "hanne.desmet", "karim.elamrani",
    )},
    new_agents={},
    languages={"NL": 78, "FR": 15, "EN": 7},
    weekday_cases=(9, 12),
    notes={
        "access": ("Wil kopie van alle klantgegevens", "Vraagt welke gegevens we bewaren en waarom",
                   "Inzage in opgenomen gesprekken gevraagd", "Klant betwist factuur van € 12,50 en vraagt inzage"),
        "rectification": ("Adres aangepast na verhuis", "Voornaam verkeerd gespeld (Zoë i.p.v. Zoe)",
                          "E-mailadres gecorrigeerd"),
        "erasure": ("Wil account en alle gegevens laten wissen", "Vraagt verwijdering na opzegging contract"),
        "restriction": ("Vraagt beperking tijdens geschil over factuur",),
        "portability": ("Wil gegevens in CSV voor overstap naar andere leverancier",),
        "objection": ("Bezwaar tegen profilering", "Bezwaar tegen gebruik gegevens voor klantanalyse"),
        "marketing_opt_out": ("Wil geen reclame meer ontvangen", "Bel-me-niet: klant wordt te vaak gebeld",
                              "Afmelden nieuwsbrief", "Geen sms’jes meer met promoties"),
        "consent_withdrawal": ("Trekt toestemming voor nieuwsbrief in",
                               "Geen toestemming meer voor aanbiedingen van partners"),
        "complaint": ("Klacht over toon van medewerker bij telefonische verkoop",
                      "Bezorgd over delen van gegevens met partners", "Klacht: e-mail naar verkeerde ontvanger"),
        "other": ("Vraag over privacyverklaring", "Vraagt naar bewaartermijn camerabeelden café-filiaal"),
    },
    refusal_reasons={
        "refused": ("Wettelijke bewaarplicht (boekhouding)", "Dwingende gerechtvaardigde gronden"),
        "partially_fulfilled": ("Gegevens van derden afgeschermd", "Interne notities niet vrijgegeven"),
        "identity_not_confirmed": ("Identiteit niet aangetoond na herinnering",),
    },
    extension_reasons=("Omvangrijk dossier: gegevens uit drie systemen", "Veel gespreksopnames te beluisteren"),
    slash_dates=0.12,
    short_bools=0.1,
)

APPELIA = Profile(
    key="appelia",
    name="Appelia Services SRL",
    id_format="APS-{yymmdd}-{n:03d}",
    customer_format="CL-{:05d}",
    customer_range=(50000, 59999),
    agents={"c.dubois": 1.0, "m.lambert": 1.0, "s.martin": 1.0, "j.peeters": 1.0, "l.dupont": 1.0,
            "a.leroy": 1.0, "n.janssens": 1.0, "e.simon": 1.0, "f.laurent": 1.0, "k.mertens": 1.0,
            # Part-time agent whose GDPR training lapsed (training.not_current).
            "p.renard": 0.3,
            # New hire from October, not yet on the training roster (training.agent_unknown).
            "y.benali": 0.5},
    new_agents={"y.benali": date(2026, 10, 1)},
    languages={"FR": 70, "NL": 22, "EN": 8},
    weekday_cases=(10, 14),
    notes={
        "access": ("Souhaite une copie de ses données", "Demande quelles données sont conservées",
                   "Demande l’accès aux enregistrements d’appels"),
        "rectification": ("Adresse corrigée après déménagement", "Nom mal orthographié (Hélène)"),
        "erasure": ("Demande d’effacement du compte client", "Veut être oublié après résiliation"),
        "restriction": ("Demande de limitation pendant un litige sur facture",),
        "portability": ("Souhaite ses données au format CSV pour changer de fournisseur",),
        "objection": ("S’oppose au profilage", "S’oppose à l’utilisation de ses données pour des études"),
        "marketing_opt_out": ("Ne veut plus être démarché par téléphone", "Désinscription de la newsletter",
                              "Plus de SMS promotionnels"),
        "consent_withdrawal": ("Retire son consentement aux offres des partenaires",),
        "complaint": ("Se plaint d’appels commerciaux répétés", "Inquiet du partage de données avec des tiers",
                      "Réclamation : courriel envoyé au mauvais destinataire"),
        "other": ("Question sur la politique de confidentialité", "Demande la durée de conservation"),
    },
    refusal_reasons={
        "refused": ("Obligation légale de conservation (comptabilité)", "Motifs légitimes impérieux"),
        "partially_fulfilled": ("Données de tiers masquées", "Notes internes non communiquées"),
        "identity_not_confirmed": ("Identité non prouvée après relance",),
    },
    extension_reasons=("Demande volumineuse : données de plusieurs systèmes", "Nombreux enregistrements à écouter"),
    slash_dates=0.015,  # Appelia: share of dates typed as text instead of real Excel dates
    short_bools=0.0,
)

# Appelia's `Formation` sheet: (agent, GDPR training, confidentiality signed). y.benali is missing; k.mertens
# has no confidentiality date.
# Training dates of the others fall between 2025-11 and 2026-06, so they cover every case from
# mid-June to October 2026 (trained before receipt and within 12 months).
APPELIA_ROSTER = (
    ("c.dubois", date(2025, 11, 18), date(2019, 3, 4)),
    ("m.lambert", date(2025, 11, 18), date(2020, 9, 1)),
    ("s.martin", date(2026, 1, 27), date(2021, 2, 15)),
    ("j.peeters", date(2026, 1, 27), date(2022, 6, 1)),
    ("l.dupont", date(2025, 12, 9), date(2018, 11, 5)),
    ("a.leroy", date(2026, 3, 10), date(2023, 1, 9)),
    ("n.janssens", date(2026, 3, 10), date(2023, 8, 21)),
    ("e.simon", date(2026, 2, 17), date(2024, 4, 2)),
    ("f.laurent", date(2026, 5, 19), date(2024, 10, 7)),
    ("k.mertens", date(2026, 5, 19), None),  # no confidentiality undertaking on file (confidentiality.not_signed)
    ("p.renard", date(2025, 4, 22), date(2017, 5, 15)),  # more than 12 months before July 2026
)
