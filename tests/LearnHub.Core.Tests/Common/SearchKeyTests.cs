using System.Text;
using LearnHub.Core.Common;

namespace LearnHub.Core.Tests.Common;

public sealed class SearchKeyTests
{
    [Theory]
    [InlineData("ÉLODIE", "élodie")]
    [InlineData("ΣΟΦΊΑ", "Σοφία")]
    [InlineData("σοφία", "Σοφία")]
    [InlineData("ΟΔΥΣΣΕΎΣ", "Οδυσσεύς")]
    [InlineData("Ｃｏｃｏ", "coco")]
    [InlineData("STRASSE", "Straße")]
    [InlineData("ДМИТРИЙ", "Дмитрий")]
    [InlineData("万红COCO", "万红coco")]
    public void Case_and_compatibility_forms_do_not_matter(string query, string name) =>
        Assert.Equal(SearchKey.Of(name), SearchKey.Of(query));

    [Fact]
    public void Composed_and_decomposed_forms_are_one_key() =>
        Assert.Equal(SearchKey.Of("élodie"), SearchKey.Of("élodie".Normalize(NormalizationForm.FormD)));

    [Fact]
    public void Accents_are_kept() => Assert.NotEqual(SearchKey.Of("elodie"), SearchKey.Of("élodie"));

    [Fact]
    public void A_key_contains_the_key_of_any_part_of_the_name() =>
        Assert.Contains(SearchKey.Of("ΣΟΦ"), SearchKey.Of("Σοφία Παπαδοπούλου"), StringComparison.Ordinal);
}
