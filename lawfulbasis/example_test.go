package lawfulbasis_test

import (
	"fmt"

	"github.com/privacykit/privacy/lawfulbasis"
)

func ExampleBasis() {
	b, err := lawfulbasis.Parse("legitimate_interests")
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Article())
	fmt.Println(b.DPV())
	fmt.Println("objectionable (Art. 21(1)):", b.Objectionable(), "withdrawable (Art. 7(3)):", b.Withdrawable())
	// Output:
	// GDPR Art. 6(1)(f)
	// https://w3id.org/dpv#LegitimateInterest
	// objectionable (Art. 21(1)): true withdrawable (Art. 7(3)): false
}
