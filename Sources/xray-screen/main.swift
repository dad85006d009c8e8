print("xray-screen: under construction")
