/// Reviewed data tables of name matching: romanisation equivalences, common given names, payment vocabulary
/// and the words that give a one-token vessel or aircraft name its context. Each table names its source;
/// change them only by review (see DESIGN.md §3), never to make one example pass.
enum NameTables {
    /// Standard romanisations of one given name or particle, each group one name (issue #14 item 5). The first
    /// form of a group is its canonical form; `Normalizer.fold` maps the folded form of every member to the
    /// folded canonical form, so they meet on both sides (aliases and text). Spellings the letter rules of
    /// `fold` already unify (`YURI`/`IURII`, `SERGEY`/`SERGEI`, `HASSAN`/`HASAN`) are not repeated here.
    ///
    /// Sources: Arabic and Persian names as written in the OFAC SDN list and its a.k.a.s (ALA-LC, the
    /// French and the Persian spellings all occur: `MUHAMMAD`, `MOHAMED`, `MOHAMMAD`, `HOSSEIN`, `HUSAYN`,
    /// `SEYED`, `SAYYID`…); Russian given names in BGN/PCGN against the simplified spellings that drop
    /// the diaeresis of Ё (`PYOTR`/`PETR`, `FYODOR`/`FEDOR`, `SEMYON`/`SEMEN`, `ARTYOM`/`ARTEM`) and the
    /// English, French and German forms of passports (`ALEXANDER`, `SERGUEI`, `MICHAIL`, `VICTOR`).
    static let equivalenceGroups: [[String]] = [
        ["MUHAMMAD", "MOHAMMED", "MOHAMAD", "MUHAMMED", "MOHAMMAD", "MOHAMED", "MUHAMAD", "MUHAMED", "MOUHAMED",
         "MOUHAMMAD", "MOHAMMET", "MOHD"],
        ["AHMAD", "AHMED", "AKHMED", "AHMET", "AKHMAD"],
        ["HUSSEIN", "HUSAYN", "HOSSEIN", "HUSSAIN", "HUSAIN", "HUSEIN", "HOSEIN", "HUSSAYN", "HUSEYIN", "HOSAIN"],
        ["YUSUF", "YOUSEF", "YOUSSEF", "YUSEF", "YOUSIF", "YOUSUF", "YOUSOF", "YOUSSOUF", "YUSOF"],
        ["ABDUL", "ABDEL", "ABDAL", "ABDOL", "ABDOUL"],
        ["SAYYID", "SEYED", "SAYED", "SEYYED", "SAYYED", "SEYYID", "SEYID", "SAYID"],
        ["PYOTR", "PETR"],
        ["FYODOR", "FEDOR"],
        ["SEMYON", "SEMEN"],
        ["ARTYOM", "ARTEM"],
        ["ALYONA", "ALENA"],
        ["ALEKSANDR", "ALEXANDER", "ALEKSANDER", "ALEXANDRE"],
        ["MIKHAIL", "MICHAIL"],
        ["SERGEY", "SERGUEI"],
        ["VIKTOR", "VICTOR"],
        ["KONSTANTIN", "CONSTANTIN"],
    ]

    /// Common given names, as written (normalized): a one-token list name reached from one of these only
    /// through folding or a typo is not a hit (`PAVEL` is not the vessel `PAWELL`), and a one-token entity
    /// or vessel name that is one of them fires only as a whole name (`CONRAD` in `CONRAD VOGEL`).
    ///
    /// Source: the first given names of at least 3 individuals of the OFAC SDN list of 2024-05-03, of at
    /// least 4 letters, particles and titles left out (`scripts/derive-given-names.py`, reviewed), and every
    /// member of `equivalenceGroups` that is a given name (the particle group `ABDUL` is not).
    static let commonGivenNames: [String] = [
        "ABBAS", "ABDALLAH", "ABDIRAHMAN", "ABDOLLAH", "ABDULLAH", "ABID", "ABOLFAZL", "ADAM", "ADEL", "ADIB", "ADIL", "ADNAN",
        "AHMAD", "AHMED", "AKHMED", "AKRAM", "ALAA", "ALEJANDRO", "ALEKSANDER", "ALEKSANDR", "ALEKSEI", "ALEKSEY", "ALENA", "ALEX",
        "ALEXANDER", "ALEXEI", "ALEXEY", "ALFONSO", "ALFREDO", "ALIAKSANDR", "ALIREZA", "ALLA", "ALVARO", "ALYAKSANDR", "AMER", "AMIN",
        "AMIR", "AMMAR", "ANAS", "ANASTASIA", "ANASTASIYA", "ANATOLIY", "ANATOLY", "ANDREI", "ANDRES", "ANDREY", "ANDRIY", "ANNA",
        "ANTON", "ANTONIO", "ARKADY", "ARMANDO", "ARTEM", "ARTUR", "ARTURO", "ARTYOM", "ASGHAR", "ASHRAF", "ATIF", "AUNG",
        "AYMAN", "AZIZ", "BASHAR", "BASHIR", "BASIL", "BASSAM", "BENJAMIN", "BILAL", "BORIS", "CARLOS", "CARMEN", "CESAR",
        "CHANG", "CHOL", "CHONG", "CHUN", "CLAUDIA", "DANIEL", "DARYA", "DAVID", "DENIS", "DIANA", "DIEGO", "DMITRI",
        "DMITRII", "DMITRIY", "DMITRY", "DRAGAN", "DUSAN", "DZMITRY", "EDGAR", "EDUARD", "EDUARDO", "EFRAIN", "EKATERINA", "ELENA",
        "ELVIRA", "ELVIS", "ERIC", "ERNESTO", "ESMAIL", "EVGENII", "EVGENIY", "EVGENIYA", "EVGENY", "FADI", "FAHD", "FARHAD",
        "FAWAZ", "FAYSAL", "FELIPE", "FELIX", "FERNANDO", "FIRAS", "FRANCESCO", "FRANCISCO", "FREDDY", "FUAD", "GABRIEL", "GAFUR",
        "GALINA", "GENNADIY", "GENNADY", "GEORGY", "GERMAN", "GHASSAN", "GHAZI", "GHOLAM", "GHOLAMREZA", "GILBERTO", "GLEB", "GONZALO",
        "GRIGORIY", "GRIGORY", "GUADALUPE", "GUILLERMO", "GUSTAVO", "HABIB", "HACHIM", "HAFIZ", "HALA", "HAMAD", "HAMED", "HAMID",
        "HAMIDREZA", "HANI", "HASAN", "HASSAN", "HAYTHAM", "HECTOR", "HENRY", "HERNAN", "HIKMAT", "HONG", "HORACIO", "HOSEIN",
        "HOSSEIN", "HSUEH", "HUGO", "HUSAM", "HUSAYN", "HUSSEIN", "IBRAHIM", "IGNACIO", "IGOR", "IHAR", "ILYA", "IMAD",
        "IREK", "IRINA", "ISMAEL", "ISMAIL", "IVAN", "IYAD", "JAIME", "JAIRO", "JALAL", "JAMAL", "JAMES", "JAMIL",
        "JAVAD", "JAVIER", "JESUS", "JHON", "JIHAD", "JOAQUIN", "JOEL", "JOHN", "JONATHAN", "JONG", "JORGE", "JOSE",
        "JOSEPH", "JUAN", "JULIO", "KAMAL", "KAMEL", "KARIM", "KASSEM", "KAZBEK", "KHALED", "KHALID", "KHALIL", "KHAMIS",
        "KHIN", "KIRILL", "KONSTANTIN", "KSENIYA", "KWANG", "KYONG", "LARISA", "LEONARDO", "LEONID", "LUIS", "LYUDMILA", "MAHDI",
        "MAHER", "MAHMOUD", "MAHMUD", "MAJID", "MAKSIM", "MALIK", "MANSOUR", "MANSUR", "MANUEL", "MARAT", "MARCO", "MARIA",
        "MARINA", "MARIO", "MARIYA", "MARKO", "MARTIN", "MARWAN", "MASOUD", "MAUNG", "MAXAMED", "MAXIM", "MEHDI", "MICHEL",
        "MIGUEL", "MIKHAIL", "MILAD", "MILAN", "MILORAD", "MIROSLAV", "MOHAMAD", "MOHAMED", "MOHAMMAD", "MOHAMMADREZA", "MOHAMMED", "MOHSEN",
        "MOISES", "MOJTABA", "MONICA", "MORTEZA", "MOSTAFA", "MOUNIR", "MUHAMMAD", "MUHAMMED", "MUHANNAD", "MUHSIN", "MURAD", "MURAT",
        "MUSA", "MUSTAFA", "MUSTAPHA", "MYONG", "NABIL", "NADER", "NADEZHDA", "NADIA", "NASER", "NASIR", "NASSER", "NATALIA",
        "NATALLIA", "NATALYA", "NAYIF", "NEBOJSA", "NESTOR", "NICOLA", "NIDAL", "NIKITA", "NIKOLA", "NIKOLAI", "NIKOLAY", "NINA",
        "NOEL", "OKSANA", "OLEG", "OLEH", "OLEKSANDR", "OLGA", "OMAR", "OMID", "OSAMA", "OSCAR", "OTHMAN", "PARVIZ",
        "PAUL", "PAVEL", "PEDRO", "PETER", "PETR", "PYONG", "QASIM", "RADOVAN", "RAFAEL", "RAMON", "RANA", "RASHID",
        "RAUL", "REZA", "RICARDO", "RICHARD", "RIDWAN", "RIGOBERTO", "ROBERTO", "RODOLFO", "ROGELIO", "ROMAN", "ROSARIO", "RUBEN",
        "RUSLAN", "RUSTAM", "SAEED", "SAID", "SAIF", "SALAH", "SALEH", "SALIM", "SALMAN", "SAMER", "SAMI", "SAMIR",
        "SAMUEL", "SANDRA", "SANG", "SANTIAGO", "SANTOS", "SARA", "SAUL", "SAVO", "SAYF", "SAYYED", "SERGEI", "SERGEY",
        "SERGIO", "SERHIY", "SEYED", "SEYYED", "SIARHEI", "SIMON", "SONG", "STANISLAV", "SUHAYL", "SULEIMAN", "SULTAN", "SUNG",
        "SVETLANA", "SYED", "TAHA", "TAHIR", "TALAL", "TAREK", "TARIQ", "TATIANA", "TATYANA", "THAN", "THEIN", "THET",
        "TIMUR", "TONG", "TONY", "ULISES", "UMAR", "USAMA", "VADIM", "VAHID", "VALENTIN", "VALENTINA", "VALERIY", "VALERY",
        "VALI", "VASILIY", "VASILY", "VICTOR", "VICTORIA", "VIKTAR", "VIKTOR", "VITALIY", "VITALY", "VLADIMIR", "VLADISLAV", "VOLODYMYR",
        "VYACHESLAV", "WAEL", "WALID", "WALTER", "YAHYA", "YAROSLAV", "YASIR", "YEGOR", "YELENA", "YEVGENIY", "YEVGENY", "YONG",
        "YULIA", "YULIYA", "YUNUS", "YURI", "YURIY", "YURY", "YUSUF", "ZAKARIYA", "ZIYAD", "ZORAN", "ZUHAIR", "ZUHAYR",
    ] + equivalenceGroups.filter { $0[0] != "ABDUL" }.flatMap { $0 }

    /// Words of payment messages that are never a typo of a name: a one-token list name matches one of
    /// them only as written, and they never match any name token through a typo (`IBAN` is not the
    /// aircraft `YI-BAN`, whose joined form folds to `IBAN`).
    ///
    /// Source: the code words of SWIFT MT103 fields 70 and 72 (`/INV/`, `/RFB/`, `/ROC/`, `/ACC/`, `/INS/`,
    /// `/BNF/`, `/REC/`…), the labels of ISO 20022 pacs.008 remittance and account blocks, and the words of
    /// remittance text those stand for.
    static let paymentVocabulary: [String] = [
        "IBAN", "BIC", "SWIFT", "BBAN", "ACC", "ACCT", "ACCOUNT", "ACCOUNTS", "REF", "REFS", "REFERENCE", "RFB",
        "ROC", "INV", "INVOICE", "INVOICES", "INS", "INT", "BNF", "REC", "PHON", "TELE", "PMT", "PYMT", "PAYMENT",
        "PAYMENTS", "TRANSFER", "REMITTANCE", "CONTRACT", "ORDER", "PURCHASE", "AMOUNT", "FEE", "FEES",
        "CHARGES", "CHARGE", "COMMISSION", "SALARY", "RENT", "LOAN", "DEPOSIT", "TAX", "VAT", "REFUND",
        "ADVANCE", "PREPAYMENT", "SETTLEMENT", "CREDIT", "DEBIT", "BALANCE", "CREDITOR", "DEBTOR", "BENEFICIARY",
        "ORDERING", "INSTRUCTION", "PURPOSE", "GOODS", "SERVICES", "AGREEMENT", "INSTALMENT", "INSTALLMENT",
    ]

    /// Words that name a vessel next to its name (`MV GLADIATOR`, `VESSEL PASSAT`, `GLADIATOR IMO 7621011`),
    /// as normalized token sequences (`M/V` is `M V` with punctuation separating, `MV` joined). Not `MY` or
    /// `MS` alone: they are words and titles (`MY PASSAT`, `MS CONRAD`); `M/Y` is.
    /// Source: the vessel prefixes of shipping documents (IMO FAL forms, bills of lading).
    static let vesselContext: [[String]] = [
        ["MV"], ["M", "V"], ["MT"], ["M", "T"], ["M", "Y"], ["VESSEL"], ["VSL"], ["SHIP"], ["TANKER"],
        ["IMO"], ["TUG"],
    ]

    /// Words that name an aircraft next to its name (`AIRCRAFT YI-BAN`, `MSN 1234`).
    static let aircraftContext: [[String]] = [["AIRCRAFT"], ["PLANE"], ["AIRPLANE"], ["AIRLINER"], ["JET"], ["MSN"], ["TAIL"]]
}

/// Lookups over `NameTables`, built once.
extension NameTables {
    /// Folded (letter rules only) member of an equivalence group → its folded canonical form.
    struct Equivalences: Sendable {
        var keys: [UInt64: Int] = [:]          // selfKey of a folded member → index in `members`
        var members: [[UInt8]] = []
        var canonical: [[UInt8]] = []
        /// Per length n < 16: bit (letter − A) set if some member of n bytes starts with that letter. Most
        /// tokens of a text are settled by this one test, before any hashing.
        var firstLetters = [UInt32](repeating: 0, count: 16)

        init() {
            for group in NameTables.equivalenceGroups {
                let target = Normalizer.foldLetters(Array(group[0].utf8))
                for name in group {
                    let m = Normalizer.foldLetters(Array(name.utf8))
                    if m == target || keys[selfKey(m)] != nil { continue }
                    keys[selfKey(m)] = members.count
                    members.append(m)
                    canonical.append(target)
                    precondition(m.count < 16 && m[0] >= 0x41 && m[0] <= 0x5A, "equivalence members are short words")
                    firstLetters[m.count] |= 1 << UInt32(m[0] - 0x41)
                }
            }
        }

        /// The canonical form of a folded token, or nil when it is in no group (or is canonical).
        @inline(__always) func canonical(_ t: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
            guard t.count < 16, let first = t.first, first >= 0x41, first <= 0x5A,
                  firstLetters[t.count] & (1 << UInt32(first - 0x41)) != 0,
                  let i = keys[selfKey(t)],
                  members[i].elementsEqual(t) else { return nil }
            return canonical[i]
        }
    }
    static let equivalences = Equivalences()

    /// `selfKey`s of the written (normalized) forms of a word list.
    static func keySet(_ words: [String]) -> Set<UInt64> { Set(words.map { selfKey(Array($0.utf8)) }) }
    static let givenNameKeys = keySet(commonGivenNames)
    static let paymentVocabularyKeys = keySet(paymentVocabulary)

    static func isGivenName<C: Collection<UInt8>>(_ written: C) -> Bool { givenNameKeys.contains(selfKey(written)) }
    static func isPaymentVocabulary<C: Collection<UInt8>>(_ written: C) -> Bool { paymentVocabularyKeys.contains(selfKey(written)) }
}
