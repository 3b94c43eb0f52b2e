using System.Globalization;
using System.Xml;

namespace Stack.Apps.Plots;

/// <summary>
/// A small SVG writer over <see cref="XmlWriter"/>: a standalone document with its style sheet, then elements with
/// a class each (so a reader, or a test, can find every mark by class) and optional <c>data-*</c> attributes.
/// </summary>
internal sealed class Svg : IDisposable
{
    private const string Namespace = "http://www.w3.org/2000/svg";
    private readonly XmlWriter _xml;

    public Svg(TextWriter output, double width, double height, string title, string css)
    {
        // No XML declaration: over a StringWriter it would say utf-16, wrong once the text is saved as UTF-8.
        _xml = XmlWriter.Create(output, new XmlWriterSettings { Indent = true, IndentChars = " ", OmitXmlDeclaration = true });
        _xml.WriteStartDocument();
        _xml.WriteStartElement("svg", Namespace);
        Attribute("width", width);
        Attribute("height", height);
        _xml.WriteAttributeString("viewBox", $"0 0 {N(width)} {N(height)}");
        _xml.WriteAttributeString("font-family", "sans-serif");
        _xml.WriteElementString("title", Namespace, title);
        _xml.WriteStartElement("style", Namespace);
        _xml.WriteString(css);
        _xml.WriteEndElement();
        Rect(0, 0, width, height, "background");
    }

    /// <summary>A coordinate or size: two decimals at most, invariant culture.</summary>
    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public Svg Start(string element, string? cssClass = null)
    {
        _xml.WriteStartElement(element, Namespace);
        if (cssClass is not null) _xml.WriteAttributeString("class", cssClass);
        return this;
    }

    public Svg Attribute(string name, string value)
    {
        _xml.WriteAttributeString(name, value);
        return this;
    }

    public Svg Attribute(string name, double value) => Attribute(name, N(value));

    public Svg Attribute(string name, long value) => Attribute(name, value.ToString(CultureInfo.InvariantCulture));

    public Svg Content(string text)
    {
        _xml.WriteString(text);
        return this;
    }

    public void End() => _xml.WriteEndElement();

    public void Line(double x1, double y1, double x2, double y2, string cssClass) =>
        Start("line", cssClass).Attribute("x1", x1).Attribute("y1", y1).Attribute("x2", x2).Attribute("y2", y2).End();

    public void Rect(double x, double y, double width, double height, string cssClass) =>
        Start("rect", cssClass).Attribute("x", x).Attribute("y", y).Attribute("width", width).Attribute("height", height).End();

    public void Path(string d, string cssClass) => Start("path", cssClass).Attribute("d", d).End();

    public void Text(double x, double y, string text, string cssClass, string anchor = "start") =>
        Start("text", cssClass).Attribute("x", x).Attribute("y", y).Attribute("text-anchor", anchor).Content(text).End();

    /// <summary>A hover tooltip for the element just started.</summary>
    public Svg Tooltip(string text)
    {
        _xml.WriteElementString("title", Namespace, text);
        return this;
    }

    public void Dispose()
    {
        _xml.WriteEndElement();
        _xml.WriteEndDocument();
        _xml.Flush();
        _xml.Dispose();
    }
}
