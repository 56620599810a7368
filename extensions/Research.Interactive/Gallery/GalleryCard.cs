namespace Research.Interactive;

/// <summary>
/// One reproduction in the gallery: the paper, the claim in one sentence, what was measured and whether it held, at
/// which scale and how long it took, the notebook's key figure and a link to its report. Plain data: the gallery draws it,
/// whoever builds it (the <c>research gallery</c> command) reads the run records and executed notebooks.
/// </summary>
/// <param name="Id">The catalogue id (the notebook's file name).</param>
/// <param name="Family">The family the card is grouped under.</param>
/// <param name="Title">The paper's title.</param>
/// <param name="Claim">The claim checked, in one sentence.</param>
/// <param name="Verdict">"holds", "does not hold", "failed" or "not run".</param>
/// <param name="Narrower">Where the checked claim is narrower than the paper's; null when it is not.</param>
/// <param name="Conditions">One line per condition of the claim check, each with its measurement, threshold and margin.</param>
/// <param name="Scale">smoke, cpu or gpu (null when not run).</param>
/// <param name="Seconds">Wall time of the notebook (kernel start included), or of the experiment when the notebook was not timed.</param>
/// <param name="Report">The notebook's HTML report, relative to the gallery page; null when there is none.</param>
/// <param name="FigureJson">The key figure as plotly JSON (<c>{"data": …, "layout": …}</c>); null for no thumbnail.</param>
/// <param name="Commit">The commit the numbers come from (null when unknown).</param>
public sealed record GalleryCard(string Id, string Family, string Title, string Claim, string Verdict, string? Narrower,
    IReadOnlyList<string> Conditions, string? Scale, double? Seconds, string? Report, string? FigureJson, string? Commit);
