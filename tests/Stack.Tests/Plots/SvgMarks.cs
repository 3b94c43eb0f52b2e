using System.Xml.Linq;

namespace Stack.Tests.Plots;

/// <summary>Reads back an SVG (parsing it proves it well-formed) and finds its marks by class.</summary>
internal sealed class SvgMarks(string svg)
{
    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public XDocument Document { get; } = XDocument.Parse(svg);

    /// <summary>Elements whose class list holds every one of <paramref name="classes"/>.</summary>
    public List<XElement> WithClass(params string[] classes) => [.. Document.Descendants().Where(e =>
        e.Attribute("class")?.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { } list && classes.All(list.Contains))];

    public bool IsSvg => Document.Root?.Name == Ns + "svg";
}
