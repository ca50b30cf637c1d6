import Mustache

/// The console's pages as Mustache templates, compiled into the binary (an installed console needs no
/// template folder). `{{x}}` escapes HTML; the only `{{{x}}}` (unescaped) values are the page body the
/// layout wraps, the highlighted message and the chart, which `HTML` built from escaped parts.
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Chokepoint console</title><link rel="stylesheet" href="/style.css"></head>
        <body>
        <header><span class="brand">Chokepoint</span>
        {{#signedIn}}<nav><a href="/holds">Queue</a> <a href="/alerts">Retrospective alerts</a> <a href="/lists">Lists</a> <a href="/summary">Daily summary</a></nav>
        <form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="{{csrf}}"><span class="who">{{role}}</span> <button type="submit">Log out</button></form>{{/signedIn}}
        </header>
        {{#hasFlash}}<p class="flash" role="status">{{flash}}</p>{{/hasFlash}}
        <main>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let login = """
        <h1>Log in</h1>
        {{#hasError}}<p class="error" role="alert">{{error}}</p>{{/hasError}}
        {{#hasCertificateRole}}
        <p>Your client certificate is mapped to the role <strong>{{certificateRole}}</strong>: every action you take here is recorded under it.</p>
        <form method="post" action="/login/certificate" class="login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">Log in as {{certificateRole}} with your certificate</button>
        </form>
        {{/hasCertificateRole}}
        {{#hasCertificateNote}}<p class="note">Certificate login: {{certificateNote}}</p>{{/hasCertificateNote}}
        {{#password}}
        <p>Log in with your own PostgreSQL role and password: every action you take here is recorded under that role.</p>
        <form method="post" action="/login" class="login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Role <input name="role" autocomplete="username" required maxlength="63" value="{{role}}"></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Log in</button>
        </form>
        {{/password}}
        {{^password}}{{^hasCertificateRole}}<p>This console accepts client-certificate logins only, and your browser presented no usable certificate.</p>{{/hasCertificateRole}}{{/password}}
        """

    static let notice = """
        <h1>{{heading}}</h1>
        <p class="{{kind}}" role="alert">{{message}}</p>
        <p><a href="{{back}}">{{backLabel}}</a></p>
        """

    static let queue = """
        <h1>Open holds</h1>
        <p class="counts"><strong>{{total}}</strong> open hold(s){{#filtered}}, <strong>{{shown}}</strong> matching the filter{{/filtered}}.
        {{#byReason}}<span class="count">{{reason}}: {{count}}</span> {{/byReason}}</p>
        {{#paged}}<p class="note pager">Showing {{from}}–{{to}} of {{shown}}, oldest first, {{limit}} a page. {{#hasPrevious}}<a href="{{previousHref}}" rel="prev">previous page</a>{{/hasPrevious}} {{#hasNext}}<a href="{{nextHref}}" rel="next">next page</a>{{/hasNext}}</p>{{/paged}}
        <form method="get" action="/holds" class="filter">
        <label>Reason <select name="reason"><option value="">any</option>{{#reasons}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/reasons}}</select></label>
        <label>List <select name="list"><option value="">any</option>{{#lists}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/lists}}</select></label>
        <label>Older than (hours) <input name="min_age_hours" inputmode="numeric" size="5" value="{{minAgeHours}}"></label>
        <label>Amount from <input name="min_amount" inputmode="decimal" size="10" value="{{minAmount}}"></label>
        <label>to <input name="max_amount" inputmode="decimal" size="10" value="{{maxAmount}}"></label>
        <button type="submit">Filter</button> <a href="/holds">clear</a>
        </form>
        {{#hasRows}}
        <table class="queue"><thead><tr><th>Payment</th><th>Reference</th><th>Format</th><th>Received</th><th>Age</th><th>Amount</th><th>Reasons</th><th>Lists</th><th>Hits</th><th>Four eyes</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td><a href="/holds/{{id}}">{{id}}</a></td><td>{{ref}}</td><td>{{format}}</td><td>{{receivedAt}}</td><td>{{age}}</td><td class="num">{{amount}}</td>
        <td>{{reasons}}</td><td>{{lists}}</td><td class="num">{{hits}}</td><td>{{fourEyes}}</td></tr>
        {{/rows}}
        </tbody></table>
        {{/hasRows}}
        {{^hasRows}}<p class="empty">No open holds{{#filtered}} match the filter{{/filtered}}.</p>{{/hasRows}}
        """

    static let hold = """
        <h1>Payment {{id}} <span class="status status-{{status}}">{{status}}</span></h1>
        <dl class="facts"><dt>Reference</dt><dd>{{ref}}</dd><dt>Format</dt><dd>{{format}}</dd><dt>Received</dt><dd>{{receivedAt}}</dd>
        <dt>Held</dt><dd>{{decidedAt}}</dd><dt>Reasons</dt><dd>{{reasons}}</dd>{{#hasError}}<dt>Parse error</dt><dd>{{error}}</dd>{{/hasError}}</dl>

        <section class="actions">
        <h2>Decision</h2>
        {{#fourEyes}}<p class="four-eyes">A sanctions hit: releasing needs two different operators (four eyes).
        {{#hasRequests}}Release requested by {{#requests}}<strong>{{by}}</strong> ({{at}}: “{{reason}}”) {{/requests}}.{{/hasRequests}}
        {{^hasRequests}}Nobody has asked for its release yet.{{/hasRequests}}</p>{{/fourEyes}}
        {{#canAct}}
        <form method="post" action="/holds/{{id}}/release" class="action">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Reason <textarea name="reason" required maxlength="2000" rows="2"></textarea></label>
        <button type="submit">{{releaseLabel}}</button>
        </form>
        <form method="post" action="/holds/{{id}}/reject" class="action">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Reason <textarea name="reason" required maxlength="2000" rows="2"></textarea></label>
        <button type="submit" class="danger">Reject</button>
        </form>
        {{/canAct}}
        </section>

        <section>
        <h2>Message</h2>
        {{#hasNotFound}}<p class="note">Not found verbatim in the message (matched after normalisation): hit {{notFound}}.</p>{{/hasNotFound}}
        <pre class="message">{{{messageHTML}}}</pre>
        </section>

        <section>
        <h2>Hits</h2>
        {{#hits}}
        <article class="hit" id="hit-{{id}}">
        <h3><sup>{{number}}</sup> {{kind}} in {{field}}: “{{matched}}”</h3>
        <p>Rule <code>{{kind}}</code>, score {{score}}{{#hasExplanation}}: {{explanation}}{{/hasExplanation}}{{#hasIdentifierType}}; identifier type {{identifierType}}{{/hasIdentifierType}}.</p>
        {{#hasEntry}}
        <dl class="entry">
        <dt>List</dt><dd>{{list}}, entry {{entryId}} (version {{entryVersion}}{{^entryIsCurrent}}, no longer current{{/entryIsCurrent}})</dd>
        <dt>Type</dt><dd>{{entryType}}</dd>
        <dt>Names</dt><dd><ul>{{#names}}<li>{{name}} <small>({{kind}})</small></li>{{/names}}</ul></dd>
        {{#hasPrograms}}<dt>Programmes</dt><dd>{{programs}}</dd>{{/hasPrograms}}
        {{#hasIdentifiers}}<dt>Identifiers</dt><dd><ul>{{#identifiers}}<li>{{type}}: {{value}}{{#hasCountry}} ({{country}}){{/hasCountry}}</li>{{/identifiers}}</ul></dd>{{/hasIdentifiers}}
        {{#hasBICs}}<dt>BICs</dt><dd>{{bics}}</dd>{{/hasBICs}}
        {{#hasCountries}}<dt>Countries</dt><dd>{{countries}}</dd>{{/hasCountries}}
        {{#hasBirthDates}}<dt>Dates of birth</dt><dd>{{birthDates}}</dd>{{/hasBirthDates}}
        {{#hasAddresses}}<dt>Addresses</dt><dd><ul>{{#addresses}}<li>{{.}}</li>{{/addresses}}</ul></dd>{{/hasAddresses}}
        {{#hasSubList}}<dt>Sub-list</dt><dd>{{subList}}</dd>{{/hasSubList}}
        {{#hasRemarks}}<dt>Remarks</dt><dd>{{remarks}}</dd>{{/hasRemarks}}
        </dl>
        {{/hasEntry}}
        {{^hasEntry}}{{#hasList}}<p>List {{list}}, entry {{entryId}} “{{entryName}}” (the entry’s record is no longer stored).</p>{{/hasList}}{{/hasEntry}}
        {{#canGoodGuy}}
        <form method="post" action="/hits/{{id}}/good-guy" class="action">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#hasGoodGuyRequests}}<p class="four-eyes">Marked as a false positive by <strong>{{goodGuyRequestedBy}}</strong>: a second operator confirms.</p>{{/hasGoodGuyRequests}}
        <label>Reason <textarea name="reason" required maxlength="2000" rows="2"></textarea></label>
        <button type="submit">{{goodGuyLabel}}</button>
        </form>
        {{/canGoodGuy}}
        </article>
        {{/hits}}
        {{^hits}}<p class="empty">No hits are recorded for this payment.</p>{{/hits}}
        </section>

        <section>
        <h2>History</h2>
        <table class="history"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Why</th><th>Detail</th></tr></thead><tbody>
        {{#history}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{reason}}</td><td><code>{{detail}}</code></td></tr>
        {{/history}}
        </tbody></table>
        </section>
        """

    static let alerts = """
        <h1>Retrospective alerts</h1>
        <p>Hits found by the nightly rescreen on payments released before the lists named them. Acknowledge an alert
        once it has been looked at (and acted upon outside Chokepoint).</p>
        <h2>Open ({{openCount}})</h2>
        {{#hasOpen}}
        <table class="alerts"><thead><tr><th>Alert</th><th>Payment</th><th>Status</th><th>Hit</th><th>List entry</th><th>Score</th><th>Found</th><th>Acknowledge</th></tr></thead><tbody>
        {{#open}}<tr><td>{{id}}</td><td>{{paymentId}} <small>{{ref}}</small></td><td>{{status}}</td><td>{{kind}} in {{field}}: “{{matched}}”</td>
        <td>{{list}} {{entryId}} {{entryName}}</td><td class="num">{{score}}</td><td>{{createdAt}}</td>
        <td><form method="post" action="/alerts/{{id}}/acknowledge" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <input name="reason" required maxlength="2000" placeholder="reason" aria-label="reason"> <button type="submit">Acknowledge</button></form></td></tr>
        {{/open}}
        </tbody></table>
        {{/hasOpen}}
        {{^hasOpen}}<p class="empty">No open retrospective alerts.</p>{{/hasOpen}}
        <h2>Recently acknowledged</h2>
        {{#hasDone}}
        <table class="alerts"><thead><tr><th>Alert</th><th>Payment</th><th>Hit</th><th>By</th><th>When</th><th>Reason</th></tr></thead><tbody>
        {{#done}}<tr><td>{{id}}</td><td>{{paymentId}} <small>{{ref}}</small></td><td>{{kind}} in {{field}}: “{{matched}}”</td><td>{{by}}</td><td>{{at}}</td><td>{{reason}}</td></tr>
        {{/done}}
        </tbody></table>
        {{/hasDone}}
        {{^hasDone}}<p class="empty">None yet.</p>{{/hasDone}}
        """

    static let lists = """
        <h1>List status</h1>
        {{#hasRows}}
        <table class="lists"><thead><tr><th>Source</th><th>Version</th><th>Entries</th><th>Loaded</th><th>By</th><th>Warnings</th><th>Last change</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{source}}</td><td class="num">{{version}}</td><td class="num">{{entries}}</td><td>{{loadedAt}}</td><td>{{loadedBy}}</td><td class="num">{{warnings}}</td>
        <td>{{#hasPrevious}}since version {{previous}} ({{previousLoadedAt}}): <span class="diff">+{{added}} added, −{{removed}} removed, {{changed}} changed</span>{{/hasPrevious}}{{^hasPrevious}}first version{{/hasPrevious}}</td></tr>
        {{/rows}}
        </tbody></table>
        {{/hasRows}}
        {{^hasRows}}<p class="empty">No list has been imported yet.</p>{{/hasRows}}
        """

    static let summary = """
        <h1>Daily summary: {{day}}</h1>
        <form method="get" action="/summary" class="filter"><label>Day <input name="day" type="date" value="{{day}}"></label> <button type="submit">Show</button></form>
        <dl class="facts summary">
        <dt>Screened</dt><dd class="num" id="screened">{{screened}}</dd>
        <dt>Held</dt><dd class="num" id="held">{{held}}</dd>
        <dt>Released on screening</dt><dd class="num">{{releasedAutomatically}}</dd>
        <dt>Released by operators</dt><dd class="num" id="released">{{releasedByOperators}}</dd>
        <dt>Rejected by operators</dt><dd class="num" id="rejected">{{rejected}}</dd>
        <dt>Median time to decision</dt><dd id="median">{{median}}</dd>
        </dl>
        <h2>Held by reason</h2>
        {{#hasReasons}}<table class="reasons"><tbody>{{#byReason}}<tr><td>{{reason}}</td><td class="num">{{count}}</td></tr>{{/byReason}}</tbody></table>{{/hasReasons}}
        {{^hasReasons}}<p class="empty">Nothing was held this day.</p>{{/hasReasons}}
        <h2>The last {{chartDays}} days</h2>
        <figure>{{{chart}}}
        <figcaption><span class="key screened">screened</span> <span class="key held">held</span> <span class="key decided">decided by operators</span></figcaption></figure>
        <table class="series"><thead><tr><th>Day</th><th>Screened</th><th>Held</th><th>Decided by operators</th></tr></thead><tbody>
        {{#series}}<tr><td>{{label}}</td><td class="num">{{screened}}</td><td class="num">{{held}}</td><td class="num">{{decided}}</td></tr>{{/series}}
        </tbody></table>
        """

    static let stylesheet = """
        body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
        header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #223; color: #fff; }
        header a { color: #cde; margin-right: 1em; } .brand { font-weight: bold; }
        .logout { margin-left: auto; } .who { margin-right: .5em; }
        main { padding: 1em 1.5em; max-width: 80em; }
        table { border-collapse: collapse; margin: .5em 0 1.5em; } th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: top; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .flash { background: #e6f4ea; padding: .6em 1.2em; margin: 0; }
        .error { color: #a11; font-weight: bold; } .note, .empty { color: #555; }
        .four-eyes { background: #fff4e0; padding: .4em .8em; }
        pre.message { background: #fff; border: 1px solid #ccc; padding: .8em; white-space: pre-wrap; word-break: break-all; }
        mark { background: #ffd54f; } mark sup { color: #a11; }
        .hit { border-left: 4px solid #d9822b; padding: .2em 1em; margin: 1em 0; background: #fff; }
        form.action { margin: .6em 0; } form.action textarea { width: 30em; display: block; }
        form.inline { display: inline; } .filter label, .login label { margin-right: 1em; }
        .login label { display: block; margin: .5em 0; }
        button.danger { color: #a11; } .status-held { color: #d9822b; } .status-released { color: #3b8f4e; } .status-rejected { color: #a11; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; } dl.facts dd { margin: 0; } dl.summary { max-width: 24em; }
        svg.chart { width: 100%; max-width: 40em; height: auto; background: #fff; border: 1px solid #ddd; }
        .key::before { content: "■ "; } .key.screened::before { color: #8aa4c8; } .key.held::before { color: #d9822b; } .key.decided::before { color: #3b8f4e; }
        """

    /// Every template, compiled once; a template that does not compile is a programming error caught by the tests.
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("login", login), ("notice", notice), ("queue", queue), ("hold", hold),
                             ("alerts", alerts), ("lists", lists), ("summary", summary)] {
            try library.register(text, named: name)
        }
        return library
    }
}
